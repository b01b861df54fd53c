//! `signoff dead-letters` and `signoff audit` as an operator runs them.
// The whole binary is test code, where clippy.toml allows unwrap, expect, panic and indexing.
#![cfg(test)]

use signoff_bot::event::{Event, Repo};
use signoff_bot::store::Store;
#[path = "common/mod.rs"]
mod common;

use common::cli::{signoff, text};

#[test]
fn dead_letters_are_listed_in_audit_and_queued_again() {
    let dir = tempfile::tempdir().unwrap();
    let database = format!("sqlite://{}", dir.path().join("s.db").display());
    let rt = tokio::runtime::Runtime::new().unwrap();
    let id = rt.block_on(async {
        let store = Store::connect(&database).await.unwrap();
        let event = Event::Review {
            repo: Repo::new("acme", "app"),
            tenant: None,
            number: 3,
            commented: None,
            edit: None,
        };
        store
            .enqueue("github", "1", "gone-wrong", &event, 0)
            .await
            .unwrap();
        let job = store.claim(0, 1_000, 8).await.unwrap().unwrap();
        let _ = store
            .fail(&job.lease(), 5, "forge refused: 404 Not Found", 2)
            .await
            .unwrap();
        store.close().await;
        job.id
    });
    let out = signoff(&database, &["dead-letters"]);
    assert_eq!(out.status.code(), Some(0), "{}", text(&out.stderr));
    let listed = text(&out.stdout);
    assert!(
        listed.contains(&format!(
            "github dead-letter acme/app#3 id={id} delivery=gone-wrong event=review attempts=1 reason=\"forge refused: 404 Not Found\""
        )),
        "{listed}"
    );
    let audit = text(&signoff(&database, &["audit", "--format", "json"]).stdout);
    assert!(audit.contains("\"dead_letter\""), "{audit}");
    let missing = signoff(&database, &["dead-letters", "--retry", "999"]);
    assert_eq!(missing.status.code(), Some(2));
    assert!(text(&missing.stderr).contains("no dead letter with id 999"));
    let retried = signoff(&database, &["dead-letters", "--retry", &id.to_string()]);
    assert_eq!(
        text(&retried.stdout),
        "queued again: 1 (a running bot processes them shortly)\n"
    );
    assert_eq!(text(&signoff(&database, &["dead-letters"]).stdout), "");
}
