//! `signoff lint`: every error of a policy file, its warnings, and with a directory the
//! requirements nobody could ever satisfy.

use crate::compile::{self, PolicySet, Source};
use crate::diagnostic::{self, Diagnostic, Problem};
use crate::eval::Context;
use crate::model::{Directory, Kind};
use crate::order;
use std::collections::BTreeSet;

/// Lints a policy text. With a directory, also reports groups and users it does not
/// know and requirements whose pool of approvers is smaller than their count.
pub fn lint(text: &str, file: &str, directory: Option<&Directory>) -> Vec<Diagnostic> {
    let mut problems = match compile::parse_problems(text) {
        Ok(set) => {
            let mut problems = set.warnings.clone();
            if let Some(directory) = directory {
                problems.extend(against_directory(&set, directory));
            }
            problems
        }
        Err(errors) => errors,
    };
    diagnostic::sort(&mut problems);
    problems.dedup();
    problems.into_iter().map(|p| p.in_file(file)).collect()
}

fn against_directory(set: &PolicySet, directory: &Directory) -> Vec<Problem> {
    let context = Context::new(set, directory);
    let mut problems = Vec::new();
    for (index, policy) in set.policies.iter().enumerate() {
        let kinds: BTreeSet<Kind> = order::set_of(
            set.bindings
                .iter()
                .filter(|b| b.policies.contains(&index))
                .map(|b| b.kind),
        );
        for (leaf_index, leaf) in policy.leaves.iter().enumerate() {
            let (users, groups): (&[String], &[String]) = match &leaf.source {
                Source::Any => (&[], &[]),
                Source::Group(g) => (&[], std::slice::from_ref(g)),
                Source::Users(u) => (u, &[]),
                Source::From { users, groups } => (users, groups),
            };
            for g in groups.iter().filter(|g| !context.group_exists(g)) {
                problems.push(Problem::warning(
                    "unknown_group",
                    leaf.span,
                    format!("group `{g}` is not in the directory or the policy's groups"),
                ));
            }
            for u in users.iter().filter(|u| !directory.users.contains_key(*u)) {
                problems.push(Problem::warning(
                    "unknown_user",
                    leaf.span,
                    format!("user `{u}` is not in the directory"),
                ));
            }
            for &kind in &kinds {
                let pool = context.pool(kind, index, leaf_index).len();
                let need = crate::eval::need_for(leaf, pool);
                if (pool as u64) < u64::from(need) {
                    problems.push(Problem::warning(
                        "unsatisfiable",
                        leaf.span,
                        format!(
                            "policy `{}` needs {need} here, but only {pool} user(s) can approve {kind} requests from this source",
                            policy.name
                        ),
                    ));
                }
            }
        }
    }
    problems
}
