//! The migrations are embedded at compile time (`sqlx::migrate!`): a migration added or
//! changed must rebuild the crate, which cargo does not know to do on its own.

fn main() {
    println!("cargo:rerun-if-changed=migrations");
}
