# signoff's decision rules (SPEC §4) written in Rego the way an OPA user who cares about
# speed would write them, for the benchmark that compares the compiled evaluator with a
# policy engine (regorus: its interpreter and its bytecode VM) on the same inputs.
#
# data.policy    the compiled policy (benches/workload: defaults resolved, absolute
#                windows in nanoseconds, requirement trees at most three levels deep)
# data.directory the directory, as signoff reads it (SPEC §3)
# data.index     the directory indexed once at load time, as signoff's `Context` is:
#                members[group][user] (user entries, directory and policy groups) and
#                approvers[kind][user] (holders of the kind's approver role)
# input          { request, grants, now }, as signoff reads them
#
# Lookups go through the index, pools are set operations, each requirement is computed
# once per policy, and superseded grants are found with one sort. It computes what
# decides the outcome: effective policies (binding criteria, globs), windows, exceptions,
# grant normalisation (unknown, stale, expired, future, superseded), eligibility (role,
# self-approval, contributors), each requirement's have/need (any, group, users, from;
# percentages; any_of, all_of), rejection and the decision. It does not build signoff's
# explanation (candidates, labels, summary): compare it with `decide`, or expect it to
# do less work than `evaluate`.
package signoff

import rego.v1

kind := input.request.kind

requester := input.request.requester

now_ns := time.parse_rfc3339_ns(input.now)

options := data.policy.options

members := data.index.members

role_holders := data.index.approvers[kind]

# ---- Bindings (§4.1) ----

# Paths are matched segment by segment (`*` stops at `/`, `**` crosses it); every other
# attribute is one value in which `*` crosses `/` (a null delimiter list).
attribute_matches(attribute, globs) if {
	attribute == "paths"
	some value in input.request.attributes.paths
	some g in globs
	glob.match(g, ["/"], value)
}

attribute_matches(attribute, globs) if {
	attribute == "labels"
	some value in input.request.attributes.labels
	some g in globs
	glob.match(g, null, value)
}

attribute_matches(attribute, globs) if {
	not attribute in {"labels", "paths"}
	value := input.request.attributes[attribute]
	is_string(value)
	some g in globs
	glob.match(g, null, value)
}

criteria_match(criteria) if {
	every attribute, globs in criteria {
		attribute_matches(attribute, globs)
	}
}

config_matches(binding) if binding.config == null

config_matches(binding) if {
	kind != "config"
	binding.config != null
}

config_matches(binding) if {
	kind == "config"
	input.request.config in binding.config
}

effective contains name if {
	some binding in data.policy.bindings
	binding.to == kind
	config_matches(binding)
	criteria_match(binding.where)
	some name in binding.policies
}

# ---- Windows (§4.2) ----

applicable_windows contains w if {
	some w in data.policy.windows
	w.to == kind
	criteria_match(w.where)
}

window_allows(w) if requester in w.allow.users

window_allows(w) if {
	some g in w.allow.groups
	members[g][requester]
}

window_open(w) if {
	w.from_ns <= now_ns
	now_ns < w.until_ns
}

previous_day := {
	"Monday": "Sunday", "Tuesday": "Monday", "Wednesday": "Tuesday", "Thursday": "Wednesday",
	"Friday": "Thursday", "Saturday": "Friday", "Sunday": "Saturday",
}

local_minute(tz) := (clock[0] * 60) + clock[1] if clock := time.clock([now_ns, tz])

# A weekly window within one day.
window_open(w) if {
	weekly := w.weekly
	weekly.from < weekly.until
	time.weekday([now_ns, weekly.timezone]) in weekly.days
	minute := local_minute(weekly.timezone)
	weekly.from <= minute
	minute < weekly.until
}

# A weekly window past midnight: from its start on a listed day...
window_open(w) if {
	weekly := w.weekly
	weekly.from > weekly.until
	time.weekday([now_ns, weekly.timezone]) in weekly.days
	weekly.from <= local_minute(weekly.timezone)
}

# ... to its end the next morning.
window_open(w) if {
	weekly := w.weekly
	weekly.from > weekly.until
	previous_day[time.weekday([now_ns, weekly.timezone])] in weekly.days
	local_minute(weekly.timezone) < weekly.until
}

blocked if {
	some w in applicable_windows
	w.kind == "blackout"
	window_open(w)
	not window_allows(w)
}

maintenance_open if {
	some w in applicable_windows
	w.kind == "maintenance"
	window_open(w)
}

maintenance_allows if {
	some w in applicable_windows
	w.kind == "maintenance"
	window_allows(w)
}

blocked if {
	some w in applicable_windows
	w.kind == "maintenance"
	not maintenance_open
	not maintenance_allows
}

# ---- Exceptions (§4.4) ----

exception := data.policy.exceptions[kind]

exempt if {
	exception.super_admins
	data.directory.users[requester].super_admin
}

exempt if requester in exception.users

exempt if {
	some g in exception.groups
	members[g][requester]
}

exempt if {
	requester in exception.tokens
	requester in data.directory.tokens
}

# ---- Grants (§4.5) ----

# Each grant's time parsed once; instants compare as numbers, not as text.
grant_ns[i] := time.parse_rfc3339_ns(g.at) if some i, g in input.grants

on_revision(g) if not options.invalidate_on_push

on_revision(g) if not g.revision

on_revision(g) if not input.request.revision

on_revision(g) if g.revision == input.request.revision

expired(i) if {
	options.expires_after_ns != null
	now_ns - grant_ns[i] > options.expires_after_ns
}

kept contains i if {
	some i, g in input.grants
	data.directory.users[g.by]
	on_revision(g)
	not expired(i)
	grant_ns[i] <= now_ns
}

# One sort by (user, time, input order): each user's standing grant ends their run.
ordered := sort([[input.grants[i].by, grant_ns[i], i] | some i in kept])

standing[user] := input.grants[entry[2]].action if {
	some k, entry in ordered
	user := entry[0]
	not ordered[k + 1][0] == user
}

# ---- Eligibility (§4.6) ----

excluded contains requester if not options.self_approval

excluded contains user if {
	not options.contributors_can_approve
	some user in input.request.contributors
}

approvers contains user if {
	standing[user] == "approve"
	role_holders[user]
	not user in excluded
}

rejecters contains user if {
	standing[user] == "reject"
	role_holders[user]
	not user in excluded
}

# ---- Requirements (§4.8) ----

in_source(leaf, user) if leaf.source == "any"

in_source(leaf, user) if user in leaf.users

in_source(leaf, user) if {
	some g in leaf.groups
	members[g][user]
}

# A pool (needed only for percentages): the source's role holders, less the excluded.
pool_size(leaf) := count(role_holders) - count({u | some u in excluded; role_holders[u]}) if {
	leaf.source == "any"
}

pool_size(leaf) := count(source_pool - excluded) if {
	leaf.source != "any"
	source_pool := {u | some g in leaf.groups; some u, _ in members[g]; role_holders[u]} | {u | some u in leaf.users; role_holders[u]}
}

need(leaf) := leaf.count.n

need(leaf) := max([1, ceil((pool_size(leaf) * leaf.count.percent) / 100)]) if leaf.count.percent

# Each effective policy's satisfied leaves, computed once.
satisfied_leaves[policy] := {i |
	some i, leaf in data.policy.policies[policy].leaves
	count({u | some u in approvers; in_source(leaf, u)}) >= need(leaf)
} if {
	some policy in effective
}

# Requirement trees, unrolled three levels (Rego has no recursion).
satisfied0(policy, node) if node.leaf in satisfied_leaves[policy]

satisfied1(policy, node) if satisfied0(policy, node)

satisfied1(policy, node) if {
	some child in node.any_of
	satisfied0(policy, child)
}

satisfied1(policy, node) if {
	children := node.all_of
	every child in children {
		satisfied0(policy, child)
	}
}

satisfied2(policy, node) if satisfied1(policy, node)

satisfied2(policy, node) if {
	some child in node.any_of
	satisfied1(policy, child)
}

satisfied2(policy, node) if {
	children := node.all_of
	every child in children {
		satisfied1(policy, child)
	}
}

satisfied_policies contains policy if {
	some policy in effective
	every node in data.policy.policies[policy].requires {
		satisfied2(policy, node)
	}
}

# ---- Rejection (§4.7) and the decision (§4.9) ----

rejected_by contains user if {
	some user in rejecters
	some policy in effective
	some leaf in data.policy.policies[policy].leaves
	in_source(leaf, user)
}

outcome := "blocked" if {
	blocked
} else := "not_required" if {
	count(effective) == 0
} else := "exempt" if {
	exempt
} else := "rejected" if {
	options.block_on_rejection
	count(rejected_by) > 0
} else := "approved" if {
	count(satisfied_policies) == count(effective)
} else := "pending"

decision := {
	"decision": outcome,
	"effective": sort([p | some p in effective]),
	"satisfied": sort([p | some p in satisfied_policies]),
	"rejected_by": sort([u | some u in rejected_by]),
}
