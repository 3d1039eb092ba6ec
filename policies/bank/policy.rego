# Participant policy of one bank: the rules it evaluates before it signs anything for a settlement.
#
# Entry point: data.settlement.policy.decision (the only one compiled to Wasm).
#
# Input: the settlement intent (mirrored by the zod schema in src/policy/intent.ts):
#   {
#     "action":        "instruct" | "affirm" | "settle" | "reverse" | "transfer" | "mint" | "burn"
#                      | "cancel" | "release" | "approve_reversal" | "affirm_and_settle" | "unwind"
#                      | "approve_unwind" | "govern" | "fill_nonce",
#     "intent_id":     "non-empty string",
#     "initiator":     {"id": "user id", "roles": ["trader", ...]},
#     "counterparty":  "LEI or member id" (not needed for mint, burn and govern),
#     "asset":         "asset symbol, e.g. EURT" (not for govern),
#     "amount":        "integer minor units as a decimal string, 1 to 15 digits, e.g. \"125000\"" (not for govern),
#     "governed_function": "a consortium governed function, e.g. reassignAccount" (govern only),
#     "nonce":         the nonce a zero-value self-transfer fills (fill_nonce only),
#     "exposure_used": "today's cumulative exposure already used for (counterparty, asset), same format",
#     "time_unix":     integer seconds since the epoch (UTC),
#     "aml":           "clear" | "medium" | "hit",
#     "screening":     {"provider": "...", "matches": [{"party": "counterparty" | "client", "list": "...",
#                      "entry": "...", "name": "...", "matchedOn": "identifier" | "name"}]} (optional: what a
#                      screening provider matched behind "aml"),
#     "travel_rule":   {"originator": {"name", "account", "lei"?, "address"?}, "beneficiary": {...}}
#                      (optional: the instruction's travel-rule data as the bank gave it),
#     "key_tier":      "hot" | "warm" | "cold",
#     "approvals":     [{"id": "approver id", "roles": ["compliance_officer", ...]}]
#   }
#
# Amounts stay below 10^15 so that every sum and comparison is exact in both the Go and the Wasm
# evaluator. The rules read their parameters from data.bank (policies/bank/data.json); the rules
# never carry limits themselves, so compliance teams change data, not code.
# Limits apply to instruct, affirm, affirm_and_settle, settle and transfer; business hours, weekends
# and cut-offs to every action but cancel, unwind and approve_unwind (they only give escrow back);
# counterparty rules to every action but mint, burn and govern. `govern` is a consortium governed
# call this bank proposes or votes for (reassignAccount, recoverStray, resetAnchor): the function
# must be listed in data.bank.governance.functions and it always needs approval. `fill_nonce` is a
# zero-value transfer of the key to itself that fills a nonce whose transaction can no longer be mined:
# no counterparty, asset or amount, no clock rule, and it always needs operations' approval.
#
# Decision:
#   {
#     "outcome":   "allow" | "deny" | "approval_required",
#     "reasons":   ["CODE: explanation", ...] (sorted),
#     "approvals": {"required": n, "roles": [...], "pending": ["CODE", ...]}
#   }
# deny wins over approval_required, which wins over allow. Anything undefined fails closed (the
# default decision is a deny). approvals.required is the largest count among the triggered approval
# requirements, approvals.roles the roles that count for at least one, approvals.pending the codes of
# the requirements not met yet. With every requirement met the outcome is allow with the reason
# APPROVALS_COMPLETE.
#
# Reason codes:
#   deny:      INPUT_FIELD_MISSING ACTION_UNKNOWN AMOUNT_INVALID AMOUNT_NOT_POSITIVE EXPOSURE_INVALID
#              ASSET_UNKNOWN ASSET_NOT_ALLOWED COUNTERPARTY_UNKNOWN COUNTERPARTY_NOT_ALLOWED
#              COUNTERPARTY_ASSET_NOT_ALLOWED SETTLEMENT_LIMIT_EXCEEDED DAILY_LIMIT_EXCEEDED AML_HIT
#              AML_RESULT_UNKNOWN KEY_TIER_UNKNOWN MINT_BURN_NOT_ISSUER TIME_INVALID WEEKEND_CLOSED
#              OUTSIDE_BUSINESS_HOURS AFTER_CUTOFF LIMIT_CONFIG_INVALID THRESHOLD_CONFIG_INVALID
#              CUTOFF_CONFIG_INVALID TIME_CONFIG_INVALID APPROVAL_CONFIG_INVALID POLICY_UNDEFINED
#              GOVERNANCE_FUNCTION_NOT_ALLOWED TRAVEL_RULE_INCOMPLETE
#   approval:  APPROVAL_THRESHOLD_EXCEEDED AML_MEDIUM_RISK REVERSAL_REQUIRES_APPROVAL
#              GOVERNANCE_REQUIRES_APPROVAL NONCE_FILL_REQUIRES_APPROVAL
#              COLD_KEY_REQUIRES_APPROVALS (and FOUR_EYES_VIOLATION: a self-approval, not counted)
#   allow:     ALLOWED APPROVALS_COMPLETE
package settlement.policy

actions := {
	"instruct", "affirm", "settle", "reverse", "transfer", "mint", "burn", "cancel", "release",
	"approve_reversal", "affirm_and_settle", "unwind", "approve_unwind", "govern", "fill_nonce",
}

# Actions that create or increase exposure to a counterparty: the limits apply to them.
exposure_actions := {"instruct", "affirm", "affirm_and_settle", "settle", "transfer"}

# Actions only the issuer desk may take; they have no counterparty.
issuer_actions := {"mint", "burn"}

# Consortium governance and filling a nonce: no counterparty, no asset, no amount.
operational_actions := {"govern", "fill_nonce"}

# Actions that only give escrow back, and filling a nonce: no clock rule holds them.
untimed_actions := {"cancel", "unwind", "approve_unwind", "fill_nonce"}

reversal_actions := {"reverse", "approve_reversal"}

aml_results := {"clear", "medium", "hit"}

key_tiers := {"hot", "warm", "cold"}

required_fields := ["intent_id", "action", "asset", "amount", "exposure_used", "aml", "key_tier"] if not operational_action

required_fields := ["intent_id", "action", "governed_function", "aml", "key_tier"] if input.action == "govern"

required_fields := ["intent_id", "action", "aml", "key_tier"] if input.action == "fill_nonce"

operational_action if input.action in operational_actions

default decision := {
	"outcome": "deny",
	"reasons": ["POLICY_UNDEFINED: the decision could not be computed (missing data or input)"],
	"approvals": {"required": 0, "roles": [], "pending": []},
}

decision := {
	"outcome": outcome,
	"reasons": reasons,
	"approvals": {"required": approvals_required, "roles": approval_roles, "pending": pending_codes},
}

outcome := "deny" if count(deny) > 0

outcome := "approval_required" if {
	count(deny) == 0
	count(pending) > 0
}

outcome := "allow" if {
	count(deny) == 0
	count(pending) == 0
}

reasons := sort([r | some r in deny]) if outcome == "deny"

reasons := sort([r | some r in (pending_reasons | approval_notes)]) if outcome == "approval_required"

reasons := sort([r | some r in ({allow_reason} | approval_notes)]) if outcome == "allow"

allow_reason := "ALLOWED: every rule passed" if count(requirements) == 0

allow_reason := sprintf("APPROVALS_COMPLETE: %s", [concat(", ", sort([r.code | some r in requirements]))]) if {
	count(requirements) > 0
}

# --- helpers -------------------------------------------------------------------------------------

non_empty_string(x) if {
	is_string(x)
	x != ""
}

# A non-negative integer in minor units, as a decimal string of at most 15 digits: "0", or digits without a
# leading zero. (The form of `^(0|[1-9][0-9]{0,14})$`, checked without a regular expression: in Wasm a regex
# match costs more than the rest of a decision.)
minor_units("0")

minor_units(s) if {
	is_string(s)
	s != ""
	count(s) <= 15
	not startswith(s, "0")
	only_digits(s)
}

# Every character of `s` is an ASCII digit.
only_digits(s) if trim_left(s, "0123456789") == ""

# "HH:MM" (00:00 to 23:59) to minutes after midnight.
clock_minutes(s) := (hours * 60) + minutes if {
	is_string(s)
	count(s) == 5
	parts := split(s, ":")
	count(parts) == 2
	count(parts[0]) == 2
	count(parts[1]) == 2
	only_digits(parts[0])
	only_digits(parts[1])
	hours := to_number(parts[0])
	minutes := to_number(parts[1])
	hours < 24
	minutes < 60
}

amount := to_number(input.amount) if minor_units(input.amount)

exposure_used := to_number(input.exposure_used) if minor_units(input.exposure_used)

asset_config := data.bank.assets[input.asset]

counterparty_config := data.bank.counterparties[input.counterparty]

limits := counterparty_config.limits[input.asset]

needs_counterparty if not no_counterparty_action

no_counterparty_action if input.action in issuer_actions

no_counterparty_action if operational_action

moves_exposure if input.action in exposure_actions

time_checked if not untimed_action

untimed_action if input.action in untimed_actions

# --- deny rules ----------------------------------------------------------------------------------

# Fail closed on a malformed intent, even if the caller skipped schema validation.
deny contains sprintf("INPUT_FIELD_MISSING: %s", [field]) if {
	some field in required_fields
	not field_present(field)
}

# Negating a call directly would not fire on an undefined argument: OPA evaluates call arguments
# outside the negation. These helpers keep the negation around the whole lookup.
field_present(field) if non_empty_string(input[field])

initiator_present if non_empty_string(input.initiator.id)

counterparty_present if non_empty_string(input.counterparty)

initiator_is_issuer if has_any_role(input.initiator.roles, data.bank.roles.issuer)

deny contains "INPUT_FIELD_MISSING: initiator.id" if not initiator_present

deny contains "INPUT_FIELD_MISSING: counterparty" if {
	needs_counterparty
	not counterparty_present
}

deny contains sprintf("ACTION_UNKNOWN: %v is not a known action", [input.action]) if {
	non_empty_string(input.action)
	not input.action in actions
}

deny contains sprintf("AMOUNT_INVALID: %v is not an integer amount in minor units (at most 15 digits)", [input.amount]) if {
	non_empty_string(input.amount)
	not minor_units(input.amount)
}

deny contains "AMOUNT_NOT_POSITIVE: the amount must be greater than zero" if amount <= 0

deny contains sprintf("EXPOSURE_INVALID: %v is not an integer amount in minor units", [input.exposure_used]) if {
	non_empty_string(input.exposure_used)
	not minor_units(input.exposure_used)
}

deny contains sprintf("ASSET_UNKNOWN: %v is not in the bank's asset list", [input.asset]) if {
	non_empty_string(input.asset)
	not asset_config
}

deny contains sprintf("ASSET_NOT_ALLOWED: %v is disabled", [input.asset]) if {
	asset_config
	not asset_config.enabled == true
}

deny contains sprintf("COUNTERPARTY_UNKNOWN: %v is not in the bank's counterparty list", [input.counterparty]) if {
	needs_counterparty
	non_empty_string(input.counterparty)
	not counterparty_config
}

deny contains sprintf("COUNTERPARTY_NOT_ALLOWED: %v has status %v", [input.counterparty, status]) if {
	needs_counterparty
	status := object.get(counterparty_config, "status", "none")
	status != "active"
}

deny contains sprintf("COUNTERPARTY_ASSET_NOT_ALLOWED: no limits for %v with %v", [input.asset, input.counterparty]) if {
	needs_counterparty
	asset_config
	counterparty_config
	not limits
}

deny contains sprintf("LIMIT_CONFIG_INVALID: limits for %v with %v are not minor-unit strings", [input.asset, input.counterparty]) if {
	needs_counterparty
	limits
	not valid_limits
}

valid_limits if {
	minor_units(limits.per_settlement)
	minor_units(limits.daily)
}

deny contains sprintf("SETTLEMENT_LIMIT_EXCEEDED: %v exceeds the limit of %v for %v with %v", [input.amount, limits.per_settlement, input.asset, input.counterparty]) if {
	moves_exposure
	valid_limits
	amount > to_number(limits.per_settlement)
}

deny contains sprintf("DAILY_LIMIT_EXCEEDED: %v already used + %v exceeds the daily limit of %v for %v with %v", [input.exposure_used, input.amount, limits.daily, input.asset, input.counterparty]) if {
	moves_exposure
	valid_limits
	exposure_used + amount > to_number(limits.daily)
}

deny contains aml_hit_reason if input.aml == "hit"

# A hit names the list entries that matched an identifier, when the screening provider gave them.
aml_hit_reason := sprintf("AML_HIT: the AML screening returned a hit: %s", [concat("; ", hit_entries)]) if {
	count(hit_entries) > 0
} else := "AML_HIT: the AML screening returned a hit"

hit_entries contains sprintf("%v entry %v (%v) matched the %v", [m.list, m.entry, m.name, m.party]) if {
	some m in input.screening.matches
	m.matchedOn == "identifier"
}

# Above an asset's optional travel_rule_threshold, a step that commits value needs the names of the
# originator and the beneficiary (FATF recommendation 16).
travel_rule_actions := {"instruct", "affirm", "affirm_and_settle", "transfer"}

deny contains sprintf("TRAVEL_RULE_INCOMPLETE: %v %v above the travel-rule threshold of %v needs originator and beneficiary names", [input.amount, input.asset, asset_config.travel_rule_threshold]) if {
	input.action in travel_rule_actions
	minor_units(asset_config.travel_rule_threshold)
	amount > to_number(asset_config.travel_rule_threshold)
	not travel_rule_named
}

travel_rule_named if {
	non_empty_string(input.travel_rule.originator.name)
	non_empty_string(input.travel_rule.beneficiary.name)
}

deny contains sprintf("THRESHOLD_CONFIG_INVALID: the travel-rule threshold of %v is not a minor-unit string", [input.asset]) if {
	asset_config.travel_rule_threshold
	not minor_units(asset_config.travel_rule_threshold)
}

deny contains sprintf("AML_RESULT_UNKNOWN: %v is not clear, medium or hit", [input.aml]) if {
	non_empty_string(input.aml)
	not input.aml in aml_results
}

deny contains sprintf("KEY_TIER_UNKNOWN: %v is not hot, warm or cold", [input.key_tier]) if {
	non_empty_string(input.key_tier)
	not input.key_tier in key_tiers
}

deny contains sprintf("MINT_BURN_NOT_ISSUER: %v requires one of the roles %v", [input.action, object.get(data.bank, ["roles", "issuer"], [])]) if {
	input.action in issuer_actions
	not initiator_is_issuer
}

has_any_role(held, wanted) if {
	some role in held
	role in wanted
}

# --- time rules (in the bank's time zone: data.bank.timezone_offset_minutes east of UTC) ----------

valid_time if {
	is_number(input.time_unix)
	input.time_unix > 0
	floor(input.time_unix) == input.time_unix
}

local_seconds := input.time_unix + (data.bank.timezone_offset_minutes * 60) if valid_time

local_day := (local_seconds - (local_seconds % 86400)) / 86400

# 0 = Sunday ... 6 = Saturday (1970-01-01 was a Thursday).
weekday := (local_day + 4) % 7

local_minute := ((local_seconds % 86400) - (local_seconds % 60)) / 60

opens_at := clock_minutes(data.bank.business_hours.open)

closes_at := clock_minutes(data.bank.business_hours.close)

deny contains "TIME_INVALID: time_unix must be a positive integer number of seconds" if not valid_time

deny contains "TIME_CONFIG_INVALID: business hours, closed weekdays or time zone offset are malformed" if {
	time_checked
	not time_config_valid
}

time_config_valid if {
	is_number(data.bank.timezone_offset_minutes)
	floor(data.bank.timezone_offset_minutes) == data.bank.timezone_offset_minutes
	abs(data.bank.timezone_offset_minutes) <= 840
	is_array(data.bank.closed_weekdays)
	opens_at < closes_at
}

deny contains sprintf("WEEKEND_CLOSED: weekday %v is closed", [weekday]) if {
	time_checked
	weekday in data.bank.closed_weekdays
}

deny contains sprintf("OUTSIDE_BUSINESS_HOURS: %v minutes after local midnight is outside %v-%v", [local_minute, data.bank.business_hours.open, data.bank.business_hours.close]) if {
	time_checked
	not within_business_hours
	time_config_valid
	local_minute
}

within_business_hours if {
	local_minute >= opens_at
	local_minute < closes_at
}

deny contains sprintf("AFTER_CUTOFF: the cut-off for %v is %v local time", [input.asset, asset_config.cutoff]) if {
	time_checked
	local_minute >= clock_minutes(asset_config.cutoff)
}

# Every asset needs a valid approval threshold: a missing one must not waive the approvals.
deny contains sprintf("THRESHOLD_CONFIG_INVALID: the approval threshold of %v is not a minor-unit string", [input.asset]) if {
	asset_config
	not valid_threshold
}

valid_threshold if minor_units(asset_config.approval_threshold)

# A missing cut-off means none (business hours still apply); a malformed one is a deny.
deny contains sprintf("CUTOFF_CONFIG_INVALID: the cut-off %v for %v is not HH:MM", [asset_config.cutoff, input.asset]) if {
	not clock_minutes(asset_config.cutoff)
}

# --- approvals -----------------------------------------------------------------------------------

# Approval triggers, keyed by reason code. data.bank.approvals[code] says how many distinct
# approvers each needs and which roles count; an approver may satisfy several requirements if it
# holds a role each of them accepts. A trigger without a valid configuration is a deny.
triggered["APPROVAL_THRESHOLD_EXCEEDED"] := sprintf("%v exceeds the approval threshold of %v for %v", [input.amount, asset_config.approval_threshold, input.asset]) if {
	minor_units(asset_config.approval_threshold)
	amount > to_number(asset_config.approval_threshold)
}

triggered["AML_MEDIUM_RISK"] := "the AML screening returned medium risk" if input.aml == "medium"

triggered["REVERSAL_REQUIRES_APPROVAL"] := sprintf("%v always needs approval", [input.action]) if {
	input.action in reversal_actions
}

triggered["COLD_KEY_REQUIRES_APPROVALS"] := "a cold-tier key signs only with approvals" if input.key_tier == "cold"

triggered["GOVERNANCE_REQUIRES_APPROVAL"] := sprintf("governed call %v always needs approval", [input.governed_function]) if {
	input.action == "govern"
}

triggered["NONCE_FILL_REQUIRES_APPROVAL"] := sprintf("filling nonce %v with a no-op always needs approval", [input.nonce]) if {
	input.action == "fill_nonce"
}

# --- governance ----------------------------------------------------------------------------------

governance_functions := object.get(data.bank, ["governance", "functions"], [])

deny contains sprintf("GOVERNANCE_FUNCTION_NOT_ALLOWED: %v is not in the bank's governance.functions", [input.governed_function]) if {
	input.action == "govern"
	not input.governed_function in governance_functions
}

# The asset may raise or lower the number of approvers above its threshold.
required_approvals(code) := asset_config.threshold_approvals if code == "APPROVAL_THRESHOLD_EXCEEDED"

required_approvals(code) := data.bank.approvals[code].required if {
	code != "APPROVAL_THRESHOLD_EXCEEDED"
}

required_approvals(code) := data.bank.approvals[code].required if {
	code == "APPROVAL_THRESHOLD_EXCEEDED"
	not asset_config.threshold_approvals
}

valid_requirement(code) if {
	n := required_approvals(code)
	is_number(n)
	n >= 1
	count(data.bank.approvals[code].roles) > 0
}

requirements contains {"code": code, "required": required_approvals(code), "roles": data.bank.approvals[code].roles, "why": why} if {
	some code, why in triggered
	valid_requirement(code)
}

deny contains sprintf("APPROVAL_CONFIG_INVALID: no valid approver count and roles for %v", [code]) if {
	some code, _ in triggered
	not valid_requirement(code)
}

# Four eyes: the initiator never counts as an approver, and an approver counts once however often
# it appears.
approver_ids := {a.id |
	some a in input.approvals
	non_empty_string(a.id)
	a.id != input.initiator.id
}

holds_role(id, role) if {
	some a in input.approvals
	a.id == id
	role in a.roles
}

collected(req) := count({id |
	some id in approver_ids
	some role in req.roles
	holds_role(id, role)
})

pending contains req if {
	some req in requirements
	collected(req) < req.required
}

pending_codes := sort([req.code | some req in pending])

pending_reasons contains sprintf("%v: %v (%v of %v approvals from %v)", [req.code, req.why, collected(req), req.required, concat("|", req.roles)]) if {
	some req in pending
}

approval_notes contains sprintf("FOUR_EYES_VIOLATION: initiator %v approved its own intent; that approval is not counted", [input.initiator.id]) if {
	some a in input.approvals
	a.id == input.initiator.id
}

approvals_required := max(array.concat([0], [req.required | some req in requirements]))

approval_roles := sort([role | some role in {r | some req in requirements; some r in req.roles}])
