//! `GET /details/{id}/{signature}`: one posted evaluation in HTML — who counted, who was
//! ignored and why, who can still approve — with a link to the policy file and "open in
//! simulator" links carrying each case (`/#case=<base64url of the case JSON>`). A page
//! names only the people its decision names ([`super::people`]), leaves the
//! organisation policy's text out unless `details.show_org_policy`, and expires
//! `details.ttl_secs` after its evaluation.

use super::{STYLE, escape, verify};
use crate::app::App;
use crate::gate::verdict::{LayerResult, LayerSource};
use crate::store::audit::AuditRecord;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::response::{Html, IntoResponse, Response};
use base64::Engine;
use serde_json::Value;
use signoff::{Decision, RequirementResult};
use std::sync::Arc;

pub async fn page(
    State(app): State<Arc<App>>,
    Path((id, signature)): Path<(i64, String)>,
) -> Response {
    if !verify(&app.details_key, id, &signature) {
        return (StatusCode::NOT_FOUND, "not found\n").into_response();
    }
    let ttl_ms =
        i64::try_from(app.config.details.ttl_secs.saturating_mul(1000)).unwrap_or(i64::MAX);
    match app.store.audit_entry(id).await {
        Ok(Some(entry)) if entry.at.saturating_add(ttl_ms) < crate::store::now_ms() => {
            (StatusCode::GONE, "this details link has expired\n").into_response()
        }
        Ok(Some(entry)) => Html(render(
            &entry.record,
            entry.at,
            app.config.details.show_org_policy,
        ))
        .into_response(),
        Ok(None) => (StatusCode::NOT_FOUND, "not found\n").into_response(),
        Err(e) => {
            tracing::error!(error = %e, "details page");
            (StatusCode::INTERNAL_SERVER_ERROR, "internal error\n").into_response()
        }
    }
}

/// The simulator link for a case.
pub fn simulator_link(case: &Value) -> String {
    let json = serde_json::to_vec(case).unwrap_or_default();
    format!(
        "/#case={}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(json)
    )
}

/// The page; `show_org_policy` puts the organisation policy's text in its simulator link.
pub fn render(record: &AuditRecord, at_ms: i64, show_org_policy: bool) -> String {
    let outcome = record.verdict.outcome.as_str();
    let when = jiff::Timestamp::from_millisecond(at_ms)
        .map(|t| t.to_string())
        .unwrap_or_default();
    let mut out = format!(
        "<!doctype html><html><head><meta charset=utf-8><meta name=viewport content=\"width=device-width\">\
<title>signoff: {repo} {target}</title><style>{STYLE}</style></head><body>\
<h1>{repo} {target}</h1><p>{kind} at <code>{rev}</code>, evaluated {when}</p>\
<h2><span class=\"{outcome}\">{outcome}</span> — {summary}</h2><p>Status <code>{context}</code></p>",
        repo = escape(&record.repo),
        target = escape(&record.target),
        kind = record.kind.as_str().replace('_', " "),
        rev = escape(&record.revision),
        summary = escape(&record.verdict.summary),
        context = escape(&record.context),
    );
    for layer in &record.layers {
        let file = escape(&layer.file);
        let title = match &layer.link {
            Some(link) => format!("<a href=\"{}\"><code>{file}</code></a>", escape(link)),
            None => format!("<code>{file}</code>"),
        };
        out.push_str(&format!(
            "<h2>{} policy {title}</h2>",
            layer.source.as_str()
        ));
        match &layer.result {
            LayerResult::Missing => out.push_str("<p>No policy file.</p>"),
            LayerResult::Invalid { diagnostics, .. } => {
                out.push_str(
                    "<p class=error>The policy file is invalid, so the gate fails closed:</p><pre>",
                );
                for d in diagnostics {
                    out.push_str(&escape(&d.to_string()));
                    out.push('\n');
                }
                out.push_str("</pre>");
            }
            LayerResult::Decided { decision, case } => {
                decision_html(decision, &mut out);
                if layer.source == LayerSource::Organisation && !show_org_policy {
                    out.push_str(
                        "<p>The organisation policy's text is not shown here (<code>details.show_org_policy</code>).</p>",
                    );
                } else {
                    out.push_str(&format!(
                        "<p><a href=\"{}\">Open in simulator</a> with these inputs (people the decision does not name appear as <code>~hidden-N</code>).</p>",
                        escape(&simulator_link(&super::people::cut(case, decision)))
                    ));
                }
            }
        }
    }
    out.push_str("</body></html>\n");
    out
}

fn decision_html(d: &Decision, out: &mut String) {
    out.push_str(&format!(
        "<p><b class=\"{0}\">{0}</b> — {1}</p>",
        escape(d.decision.as_str()),
        escape(&d.summary)
    ));
    if let Some(e) = &d.exempt {
        out.push_str(&format!("<p>Exempt: {:?}</p>", e.reason));
    }
    if let Some(w) = &d.window {
        let until = w
            .until
            .map_or("further notice".to_owned(), |u| u.to_string());
        out.push_str(&format!(
            "<p>Window <code>{}</code> blocks until {}</p>",
            escape(&w.name),
            escape(&until)
        ));
    }
    for p in &d.policies {
        out.push_str(&format!(
            "<h3>{} {}</h3><table><tr><th>requirement</th><th>have</th><th>approved by</th><th>can still approve</th></tr>",
            escape(&p.name),
            if p.satisfied { "<span class=approved>met</span>" } else { "<span class=pending>not yet met</span>" }
        ));
        for r in &p.requirements {
            requirement_html(r, 0, out);
        }
        out.push_str("</table>");
    }
    if !d.rejected_by.is_empty() {
        out.push_str(&format!(
            "<p class=rejected>Rejected by {}</p>",
            escape(&d.rejected_by.join(", "))
        ));
    }
    if !d.ignored.is_empty() {
        out.push_str("<h3>Ignored</h3><ul>");
        for i in &d.ignored {
            out.push_str(&format!(
                "<li><b>{}</b>: {} <code>{}</code></li>",
                escape(&i.by),
                escape(i.reason.describe()),
                i.reason.as_str()
            ));
        }
        out.push_str("</ul>");
    }
}

fn requirement_html(r: &RequirementResult, depth: usize, out: &mut String) {
    let mark = if r.satisfied {
        "<span class=approved>met</span>"
    } else if r.unsatisfiable {
        "<span class=rejected>cannot be met</span>"
    } else {
        "<span class=pending>waiting</span>"
    };
    let mut can = r.candidates.join(", ");
    if r.candidates_more > 0 {
        can.push_str(&format!(" and {} more", r.candidates_more));
    }
    out.push_str(&format!(
        "<tr><td style=\"padding-left:{}rem\">{} {}</td><td>{}/{}</td><td>{}</td><td>{}</td></tr>",
        0.5 + 1.5 * depth as f64,
        escape(&r.label),
        mark,
        r.have,
        r.need,
        escape(&r.approved_by.join(", ")),
        escape(&can)
    ));
    for c in r.children() {
        requirement_html(c, depth + 1, out);
    }
}
