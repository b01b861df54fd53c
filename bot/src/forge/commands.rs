//! Comment commands (SPEC §6.3): a line that starts with a configured command word,
//! case-insensitive, followed by the end of the line or whitespace. The word after the
//! command is kept as its argument: the caller decides whether it names an environment
//! (then the grant is for that deployment) or starts a reason (then it is for the change).

use signoff::Action;
use signoff::model::policy::Commands;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub action: Action,
    /// The first word after the command word: `production` in `/approve production`,
    /// `not` in `/unapprove not ready yet`.
    pub argument: Option<String>,
}

impl Command {
    /// The environment this command is for: its argument, when `is_environment` says it
    /// names one; otherwise the command is for the change and the rest is a reason.
    pub fn environment(&self, is_environment: impl Fn(&str) -> bool) -> Option<&str> {
        self.argument.as_deref().filter(|word| is_environment(word))
    }
}

pub fn parse(body: &str, commands: &Commands) -> Vec<Command> {
    let table: [(Action, &Vec<String>); 3] = [
        (Action::Approve, &commands.approve),
        (Action::Reject, &commands.reject),
        (Action::Revoke, &commands.revoke),
    ];
    let mut out = Vec::new();
    for line in body.lines() {
        'words: for (action, words) in &table {
            for word in words.iter() {
                if let Some(rest) = strip_word(line, word) {
                    let argument = rest.split_whitespace().next().map(str::to_owned);
                    out.push(Command {
                        action: *action,
                        argument,
                    });
                    break 'words;
                }
            }
        }
    }
    out
}

/// Every word of several layers' commands, for deciding cheaply whether a comment may
/// matter to any of them.
pub fn union<'a>(all: impl IntoIterator<Item = &'a Commands>) -> Commands {
    let mut out = Commands {
        approve: Vec::new(),
        reject: Vec::new(),
        revoke: Vec::new(),
    };
    for c in all {
        for (into, from) in [
            (&mut out.approve, &c.approve),
            (&mut out.reject, &c.reject),
            (&mut out.revoke, &c.revoke),
        ] {
            for word in from {
                if !into.contains(word) {
                    into.push(word.clone());
                }
            }
        }
    }
    out
}

/// The rest of the line when it starts with `word` (any case) then whitespace or its end.
fn strip_word<'a>(line: &'a str, word: &str) -> Option<&'a str> {
    if word.is_empty() {
        return None;
    }
    let head = line.get(..word.len())?;
    if !head.eq_ignore_ascii_case(word) {
        return None;
    }
    let rest = line.get(word.len()..)?;
    (rest.is_empty() || rest.starts_with(char::is_whitespace)).then_some(rest)
}

/// Does the text hold any command line of these words? Cheap: no allocation per line.
pub fn mentions(body: &str, commands: &Commands) -> bool {
    body.lines().any(|line| {
        commands
            .approve
            .iter()
            .chain(&commands.reject)
            .chain(&commands.revoke)
            .any(|w| strip_word(line, w).is_some())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cmd(action: Action, argument: Option<&str>) -> Command {
        Command {
            action,
            argument: argument.map(str::to_owned),
        }
    }

    #[test]
    fn commands_at_line_starts_only() {
        let c = Commands::default();
        assert_eq!(parse("/approve", &c), vec![cmd(Action::Approve, None)]);
        assert_eq!(
            parse("LGTM!\n/LGTM  \r\n", &c),
            vec![cmd(Action::Approve, None)]
        );
        assert_eq!(
            parse("/approve production now", &c),
            vec![cmd(Action::Approve, Some("production"))]
        );
        assert_eq!(parse("please /approve", &c), vec![]);
        assert_eq!(parse("> /approve", &c), vec![]);
        assert_eq!(parse("/approved", &c), vec![]);
        assert_eq!(
            parse("/reject\n/unapprove", &c),
            vec![cmd(Action::Reject, None), cmd(Action::Revoke, None)]
        );
        assert!(mentions("x\n/Approve", &c));
        assert!(!mentions("/approvex", &c));
    }

    #[test]
    fn an_argument_is_an_environment_only_when_it_names_one() {
        let c = Commands::default();
        let known = |w: &str| w.eq_ignore_ascii_case("production");
        let commands = parse("/unapprove not ready\n/approve Production", &c);
        assert_eq!(commands[0].environment(known), None);
        assert_eq!(commands[1].environment(known), Some("Production"));
    }

    #[test]
    fn union_keeps_every_layers_words_once() {
        let repo = Commands {
            approve: vec!["/ship".into()],
            ..Commands::default()
        };
        let all = union([&Commands::default(), &repo]);
        assert_eq!(all.approve, vec!["/approve", "/lgtm", "/ship"]);
        assert_eq!(all.reject, vec!["/reject"]);
    }
}
