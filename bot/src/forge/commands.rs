//! Comment commands (SPEC §6.3): a line that starts with a configured command word,
//! case-insensitive, followed by the end of the line or whitespace. An argument names
//! the environment of a deployment the grant is for.

use signoff::Action;
use signoff::model::policy::Commands;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Command {
    pub action: Action,
    /// `/approve production`: for the deployment to `production`.
    pub environment: Option<String>,
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
                    let environment = rest.split_whitespace().next().map(str::to_owned);
                    out.push(Command {
                        action: *action,
                        environment,
                    });
                    break 'words;
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
#[allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    clippy::indexing_slicing,
    reason = "tests stop at the first surprise"
)]
mod tests {
    use super::*;

    fn cmd(action: Action, env: Option<&str>) -> Command {
        Command {
            action,
            environment: env.map(str::to_owned),
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
}
