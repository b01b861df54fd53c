# THE NAIVE VERSION, kept for comparison only: the first Rego port of signoff's
# decision rules. It scans all 2,000 users for every percentage requirement, looks
# people up in lists, recomputes every requirement wherever it is used, finds superseded
# grants by comparing every pair, and compares timestamps as strings. `signoff.rego`
# is the version written for speed; the benchmark reports both (`rego/regorus_naive`).
#
# data.policy    the compiled policy (benches/workload: defaults resolved, absolute
#                windows in nanoseconds, requirement trees at most three levels deep)
# data.directory the directory, as signoff reads it (SPEC §3)
# input          { request, grants, now }, as signoff reads them
#
# It computes what decides the outcome: effective policies (binding criteria, globs),
# windows, exceptions, grant normalisation (unknown, stale, expired, future,
# superseded), eligibility (role, self-approval, contributors), each requirement's
# have/need (any, group, users, from; percentages; any_of, all_of), rejection and the
# decision. It does not build signoff's explanation (candidates, labels, summary), so
# it does less work than signoff does.
package signoff

import rego.v1

kind := input.request.kind

requester := input.request.requester

now_ns := time.parse_rfc3339_ns(input.now)

# ---- Bindings (§4.1) ----

multi_valued := {"labels", "paths"}

path_globs := {"paths"}

delimiters(attribute) := ["/"] if attribute in path_globs

delimiters(attribute) := null if not attribute in path_globs

attribute_matches(attribute, globs) if {
	attribute in multi_valued
	some value in input.request.attributes[attribute]
	some g in globs
	glob.match(g, delimiters(attribute), value)
}

attribute_matches(attribute, globs) if {
	not attribute in multi_valued
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

# ---- Groups ----

in_group(user, group) if group in data.directory.users[user].groups

in_group(user, group) if user in data.directory.groups[group]

in_group(user, group) if user in data.policy.groups[group]

# ---- Windows (§4.2) ----

applicable_windows contains w if {
	some w in data.policy.windows
	w.to == kind
	criteria_match(w.where)
}

window_allows(w) if requester in w.allow.users

window_allows(w) if {
	some g in w.allow.groups
	in_group(requester, g)
}

window_open(w) if {
	w.from_ns <= now_ns
	now_ns < w.until_ns
}

window_open(w) if {
	weekly := w.weekly
	time.weekday([now_ns, weekly.timezone]) in weekly.days
	clock := time.clock([now_ns, weekly.timezone])
	minute := (clock[0] * 60) + clock[1]
	weekly.from <= minute
	minute < weekly.until
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
	in_group(requester, g)
}

exempt if {
	requester in exception.tokens
	requester in data.directory.tokens
}

# ---- Grants (§4.5) ----

options := data.policy.options

known(user) if data.directory.users[user]

on_revision(g) if not options.invalidate_on_push

on_revision(g) if not g.revision

on_revision(g) if not input.request.revision

on_revision(g) if g.revision == input.request.revision

expired(g) if {
	options.expires_after_ns != null
	now_ns - time.parse_rfc3339_ns(g.at) > options.expires_after_ns
}

# Timestamps in one form (RFC 3339, UTC, whole seconds) order as strings.
kept contains i if {
	some i, g in input.grants
	known(g.by)
	on_revision(g)
	not expired(g)
	g.at <= input.now
}

later(j, i) if input.grants[j].at > input.grants[i].at

later(j, i) if {
	input.grants[j].at == input.grants[i].at
	j > i
}

superseded(i) if {
	some j in kept
	j != i
	input.grants[j].by == input.grants[i].by
	later(j, i)
}

standing[user] := g.action if {
	some i in kept
	not superseded(i)
	g := input.grants[i]
	user := g.by
}

# ---- Eligibility (§4.6) ----

approver_role := {
	"deployment": "deployment-approver",
	"config": "config-approver",
	"pull_request": "pull-request-approver",
}[kind]

has_role(user) if data.directory.users[user].super_admin

has_role(user) if approver_role in data.directory.users[user].roles

excluded(user) if {
	not options.self_approval
	user == requester
}

excluded(user) if {
	not options.contributors_can_approve
	user in input.request.contributors
}

eligible(user) if {
	known(user)
	has_role(user)
	not excluded(user)
}

approvers contains user if {
	standing[user] == "approve"
	eligible(user)
}

rejecters contains user if {
	standing[user] == "reject"
	eligible(user)
}

# ---- Requirements (§4.8) ----

in_source(leaf, user) if leaf.source == "any"

in_source(leaf, user) if user in leaf.users

in_source(leaf, user) if {
	some g in leaf.groups
	in_group(user, g)
}

in_pool(leaf, user) if {
	in_source(leaf, user)
	eligible(user)
}

pool_size(leaf) := count({user | some user, _ in data.directory.users; in_pool(leaf, user)})

need(leaf) := leaf.count.n

need(leaf) := max([1, ceil((pool_size(leaf) * leaf.count.percent) / 100)]) if leaf.count.percent

have(leaf) := count({user | some user in approvers; in_pool(leaf, user)})

leaf_satisfied(policy, index) if {
	leaf := data.policy.policies[policy].leaves[index]
	have(leaf) >= need(leaf)
}

# Requirement trees, unrolled three levels (Rego has no recursion).
satisfied0(policy, node) if leaf_satisfied(policy, node.leaf)

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

policy_satisfied(policy) if {
	every node in data.policy.policies[policy].requires {
		satisfied2(policy, node)
	}
}

satisfied_policies contains policy if {
	some policy in effective
	policy_satisfied(policy)
}

# ---- Rejection (§4.7) and the decision (§4.9) ----

rejected_by contains user if {
	some user in rejecters
	some policy in effective
	some leaf in data.policy.policies[policy].leaves
	in_pool(leaf, user)
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
