//! A fresh PostgreSQL database per harness, for the suites run with
//! `SIGNOFF_TEST_POSTGRES=postgres://user@host:port` (scripts/test.sh does).

/// Creates a new database on `server` and returns its URL.
pub async fn fresh_postgres(server: &str) -> String {
    use sqlx::Connection;
    sqlx::any::install_default_drivers();
    let name = format!("signoff_test_{}_{}", std::process::id(), fastrand::u64(..));
    let mut admin = sqlx::AnyConnection::connect(&format!("{server}/postgres"))
        .await
        .unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}"))
        .execute(&mut admin)
        .await
        .unwrap();
    format!("{server}/{name}")
}
