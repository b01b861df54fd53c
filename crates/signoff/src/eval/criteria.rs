//! Match criteria of bindings and windows against a request's attributes.

use crate::compile::{Attribute, CompiledCriteria};
use crate::model::Attributes;

/// All given criteria must match; within one, any glob may match. A missing attribute
/// never matches a criterion that is given; `labels` and `paths` match when any element does.
pub(crate) fn criteria_match(criteria: &CompiledCriteria, attributes: &Attributes) -> bool {
    criteria.checks.iter().all(|(attribute, globs)| {
        let single = |value: &Option<String>| {
            value
                .as_deref()
                .is_some_and(|v| globs.iter().any(|g| g.matches(v)))
        };
        let many = |values: &[String]| values.iter().any(|v| globs.iter().any(|g| g.matches(v)));
        match attribute {
            Attribute::Cluster => single(&attributes.cluster),
            Attribute::App => single(&attributes.app),
            Attribute::Environment => single(&attributes.environment),
            Attribute::Repo => single(&attributes.repo),
            Attribute::Branch => single(&attributes.branch),
            Attribute::SourceBranch => single(&attributes.source_branch),
            Attribute::Labels => many(&attributes.labels),
            Attribute::Paths => many(&attributes.paths),
        }
    })
}
