//! `signoff audit [--repo R] [--since T]`: the decisions the bot posted, oldest first.

use crate::store::Store;
use crate::store::audit::AuditEntry;

/// `--since`: an RFC 3339 time, or a span back from now such as `24h` or `7d`.
pub fn parse_since(text: &str, now: jiff::Timestamp) -> Result<i64, String> {
    if let Ok(t) = text.parse::<jiff::Timestamp>() {
        return Ok(t.as_millisecond());
    }
    let days = text
        .strip_suffix('d')
        .and_then(|d| d.trim().parse::<i64>().ok());
    let span = match days {
        Some(d) => jiff::SignedDuration::from_hours(d.saturating_mul(24)),
        None => text
            .parse::<jiff::SignedDuration>()
            .map_err(|_| format!("--since: expected a time like 2026-01-31T00:00:00Z or a span like 24h or 7d, got {text:?}"))?,
    };
    now.checked_sub(span)
        .map(|t| t.as_millisecond())
        .map_err(|e| format!("--since: {e}"))
}

pub fn line(e: &AuditEntry) -> String {
    let at = jiff::Timestamp::from_millisecond(e.at)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let rev: String = e.revision.chars().take(12).collect();
    format!(
        "{at} {} {} {} {} {rev} {} {:?} approvers={} ignored={} answer={} digest={}",
        e.forge,
        e.repo,
        e.kind.as_str(),
        e.target,
        e.decision.as_str(),
        e.summary,
        e.approvers,
        e.ignored,
        e.answer.to_text(),
        e.digest.chars().take(16).collect::<String>()
    )
}

pub fn json(e: &AuditEntry) -> serde_json::Value {
    let at = jiff::Timestamp::from_millisecond(e.at)
        .map(|t| t.to_string())
        .unwrap_or_default();
    serde_json::json!({
        "id": e.id,
        "at": at,
        "forge": e.forge,
        "repo": e.repo,
        "kind": e.kind.as_str(),
        "target": e.target,
        "revision": e.revision,
        "decision": e.decision.as_str(),
        "summary": e.summary,
        "approvers": serde_json::from_str::<serde_json::Value>(&e.approvers).unwrap_or_default(),
        "ignored": serde_json::from_str::<serde_json::Value>(&e.ignored).unwrap_or_default(),
        "answer": e.answer.to_text(),
        "digest": e.digest,
    })
}

pub async fn run(
    database: &str,
    repo: Option<&str>,
    since: Option<&str>,
    as_json: bool,
) -> Result<Vec<String>, String> {
    let since = since
        .map(|s| parse_since(s, jiff::Timestamp::now()))
        .transpose()?;
    let store = Store::connect(database)
        .await
        .map_err(|e| format!("database {}: {e}", crate::store::redact(database)))?;
    let entries = store
        .list_audit(repo, since)
        .await
        .map_err(|e| e.to_string())?;
    // Dead letters are decisions the bot could not make: listed after the decisions.
    let dead = store.dead_letters(since).await.map_err(|e| e.to_string())?;
    store.close().await;
    let repo_key = repo.map(|r| (format!("{r}#"), format!("{r}@")));
    let dead = dead.iter().filter(|d| {
        repo_key.as_ref().is_none_or(|(pr, run)| {
            let key = crate::event::Event::key_without_forge(&d.work_key);
            key.starts_with(pr) || key.starts_with(run)
        })
    });
    Ok(entries
        .iter()
        .map(|e| {
            if as_json {
                json(e).to_string()
            } else {
                line(e)
            }
        })
        .chain(dead.map(|d| {
            if as_json {
                crate::dead_letters::json(d).to_string()
            } else {
                crate::dead_letters::line(d)
            }
        }))
        .collect())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn since_accepts_times_and_spans() {
        let now: jiff::Timestamp = "2026-01-10T00:00:00Z".parse().unwrap();
        let day = 86_400_000;
        assert_eq!(
            parse_since("2026-01-09T00:00:00Z", now).unwrap(),
            now.as_millisecond() - day
        );
        assert_eq!(parse_since("24h", now).unwrap(), now.as_millisecond() - day);
        assert_eq!(
            parse_since("2d", now).unwrap(),
            now.as_millisecond() - 2 * day
        );
        assert!(parse_since("yesterday", now).is_err());
    }
}
