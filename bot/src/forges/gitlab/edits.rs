//! Who last edited a note. GitLab lets Maintainers edit other people's notes (GitLab
//! MR !177654), and REST says only that `updated_at` moved (which resolving a thread
//! does too). GraphQL's `Note.lastEditedBy` / `lastEditedAt` say who and when; a note
//! GraphQL cannot account for counts as edited by someone unknown (never counted).

use super::activity::parse_node;
use super::client::{ApiError, GitLabClient};
use crate::forge::Edit;
use jiff::Timestamp;
use serde::Deserialize;
use std::collections::{BTreeMap, BTreeSet};

const NOTES_QUERY: &str = "query($path: ID!, $iid: String!, $after: String) { project(fullPath: $path) { mergeRequest(iid: $iid) { notes(first: 100, after: $after) { nodes { id lastEditedAt lastEditedBy { username } } pageInfo { hasNextPage endCursor } } } } }";
/// Pages of 100 notes read per merge request before giving up (fail closed).
const MAX_PAGES: usize = 100;

#[derive(Deserialize)]
struct Data {
    project: Option<Project>,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Project {
    merge_request: Option<MergeRequest>,
}

#[derive(Deserialize)]
struct MergeRequest {
    notes: Notes,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Notes {
    nodes: Vec<NoteNode>,
    page_info: PageInfo,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct NoteNode {
    id: String,
    last_edited_at: Option<Timestamp>,
    last_edited_by: Option<Editor>,
}

#[derive(Deserialize)]
struct Editor {
    username: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct PageInfo {
    has_next_page: bool,
    end_cursor: Option<String>,
}

/// The numeric id at the end of a global id (`gid://gitlab/Note/123`).
fn note_id(gid: &str) -> Option<u64> {
    gid.rsplit('/').next()?.parse().ok()
}

/// The last edit of each node that was ever edited (nodes from `activity::note_node`).
pub async fn edits(
    client: &GitLabClient,
    nodes: &[String],
) -> Result<BTreeMap<String, Edit>, ApiError> {
    // node → (project, iid, note), grouped per merge request.
    let mut wanted: BTreeMap<(String, u64), BTreeMap<u64, String>> = BTreeMap::new();
    for node in nodes {
        let (project, iid, note) = parse_node(node)
            .ok_or_else(|| ApiError::Setup(format!("not a GitLab note handle: {node}")))?;
        wanted
            .entry((project.to_owned(), iid))
            .or_default()
            .insert(note, node.clone());
    }
    let mut out = BTreeMap::new();
    for ((project, iid), notes) in wanted {
        let found = read_edits(client, &project, iid, &notes.keys().copied().collect()).await?;
        for (note, node) in notes {
            match found.get(&note) {
                Some(Some(edit)) => {
                    out.insert(node, edit.clone());
                }
                Some(None) => {}
                // Gone since it was listed (deleted): whoever did it, it does not count.
                None => {
                    out.insert(
                        node,
                        Edit {
                            editor: None,
                            at: Timestamp::now(),
                        },
                    );
                }
            }
        }
    }
    Ok(out)
}

/// note id → its last edit (`None`: never edited), for the wanted notes found.
async fn read_edits(
    client: &GitLabClient,
    project: &str,
    iid: u64,
    wanted: &BTreeSet<u64>,
) -> Result<BTreeMap<u64, Option<Edit>>, ApiError> {
    let mut found = BTreeMap::new();
    let mut after: Option<String> = None;
    for _ in 0..MAX_PAGES {
        let variables =
            serde_json::json!({ "path": project, "iid": iid.to_string(), "after": after });
        let data: Data = client.graphql(NOTES_QUERY, variables).await?;
        let notes = data
            .project
            .and_then(|p| p.merge_request)
            .ok_or_else(|| {
                ApiError::NotFound(format!("merge request !{iid} of {project} in GraphQL"))
            })?
            .notes;
        for node in notes.nodes {
            let Some(id) = note_id(&node.id).filter(|id| wanted.contains(id)) else {
                continue;
            };
            let edit = node.last_edited_at.map(|at| Edit {
                editor: node.last_edited_by.map(|e| e.username),
                at,
            });
            found.insert(id, edit);
        }
        if found.len() == wanted.len() || !notes.page_info.has_next_page {
            return Ok(found);
        }
        after = notes.page_info.end_cursor;
    }
    Err(ApiError::Incomplete(format!(
        "notes of merge request !{iid}: more than {MAX_PAGES} GraphQL pages"
    )))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn global_ids_end_in_the_note_id() {
        assert_eq!(note_id("gid://gitlab/Note/123"), Some(123));
        assert_eq!(note_id("gid://gitlab/DiscussionNote/9"), Some(9));
        assert_eq!(note_id("gid://gitlab/Note/x"), None);
    }
}
