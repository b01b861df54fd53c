// The example gallery: case files from the conformance corpus (tests/conformance), so
// every example is also a test that runs natively and through the wasm build. esbuild
// embeds them as text.
import devtron from "../../tests/conformance/examples/devtron-production-deployment-pending-sre-lead.yml";
import devtronFreeze from "../../tests/conformance/examples/devtron-production-deployment-freeze.yml";
import overlap from "../../tests/conformance/examples/spec-security-two-qa-three-overlap.yml";
import namedLeads from "../../tests/conformance/examples/spec-named-leads-and-any-two.yml";
import distinct from "../../tests/conformance/distinct/distinct-matching-not-greedy.yml";
import choreo from "../../tests/conformance/examples/choreo-promotion-to-production-approved.yml";
import migrations from "../../tests/conformance/examples/pr-migrations-only-dba-pending.yml";

export const GALLERY = [
  { id: "devtron", title: "Devtron-style production", blurb: "Release manager, security and the SRE lead; SRE and super-admins exempt; a festival freeze window. Waiting for the SRE lead.", text: devtron },
  { id: "devtron-freeze", title: "…during the freeze", blurb: "The same policy, fully approved, inside the blackout window: blocked until it ends.", text: devtronFreeze },
  { id: "security-qa", title: "Overlapping security & QA", blurb: "2 from security and 3 from QA; one person in both groups counts for each.", text: overlap },
  { id: "named-leads", title: "Specific users", blurb: "john, jane and jessy must all approve; a second policy wants any two.", text: namedLeads },
  { id: "distinct", title: "Distinct approvers", blurb: "With distinct_approvers, one person fills one slot: a matching, not first come first served.", text: distinct },
  { id: "choreo", title: "Choreo-style promotion", blurb: "Promotion to production: two from the environment admins or the assignees.", text: choreo },
  { id: "migrations", title: "Pull request on migrations/**", blurb: "A DBA plus another reviewer for schema migrations into main; contributors cannot approve.", text: migrations },
];
