package settlement.policy_test

import data.settlement.policy

# Friday 2025-11-21 10:00 UTC = 11:00 local at UTC+1.
friday_11h := 1763719200

bank_data := {
	"timezone_offset_minutes": 60,
	"business_hours": {"open": "08:00", "close": "18:00"},
	"closed_weekdays": [0, 6],
	"roles": {"issuer": ["issuer_desk"]},
	"approvals": {
		"APPROVAL_THRESHOLD_EXCEEDED": {"required": 1, "roles": ["compliance_officer"]},
		"AML_MEDIUM_RISK": {"required": 1, "roles": ["compliance_officer"]},
		"REVERSAL_REQUIRES_APPROVAL": {"required": 1, "roles": ["operations_manager"]},
		"COLD_KEY_REQUIRES_APPROVALS": {"required": 2, "roles": ["custody_officer"]},
		"GOVERNANCE_REQUIRES_APPROVAL": {"required": 1, "roles": ["operations_manager"]},
		"NONCE_FILL_REQUIRES_APPROVAL": {"required": 1, "roles": ["operations_manager"]},
	},
	"governance": {"functions": ["reassignAccount", "recoverStray"]},
	"assets": {
		"EURT": {"enabled": true, "cutoff": "16:00", "approval_threshold": "1000", "threshold_approvals": 2},
		"BOND": {"enabled": true, "cutoff": "15:00", "approval_threshold": "1000", "travel_rule_threshold": "700"},
		"TRBAD": {"enabled": true, "approval_threshold": "1000", "travel_rule_threshold": 700},
		"OFF": {"enabled": false, "cutoff": "16:00", "approval_threshold": "1000"},
		"BROKEN": {"enabled": true, "cutoff": "4pm", "approval_threshold": "1000"},
	},
	"counterparties": {
		"CP-A": {"status": "active", "limits": {
			"EURT": {"per_settlement": "5000", "daily": "8000"},
			"BOND": {"per_settlement": "5000", "daily": "8000"},
			"BROKEN": {"per_settlement": "5000", "daily": "8000"},
		}},
		"CP-SUSPENDED": {"status": "suspended", "limits": {"EURT": {"per_settlement": "5000", "daily": "8000"}}},
		"CP-NOSTATUS": {"limits": {"EURT": {"per_settlement": "5000", "daily": "8000"}}},
		"CP-BADLIMITS": {"status": "active", "limits": {"EURT": {"per_settlement": 5000, "daily": "8000"}}},
	},
}

base_input := {
	"action": "settle",
	"intent_id": "intent-1",
	"initiator": {"id": "u-alice", "roles": ["trader"]},
	"counterparty": "CP-A",
	"asset": "EURT",
	"amount": "500",
	"exposure_used": "0",
	"time_unix": friday_11h,
	"aml": "clear",
	"key_tier": "hot",
	"approvals": [],
}

decide(patch) := d if {
	d := policy.decision with input as object.union(base_input, patch) with data.bank as bank_data
}

has_reason(d, code) if {
	some r in d.reasons
	startswith(r, sprintf("%s:", [code]))
}

denied_with(patch, code) if {
	d := decide(patch)
	d.outcome == "deny"
	has_reason(d, code)
}

needs_approval(patch, code) if {
	d := decide(patch)
	d.outcome == "approval_required"
	has_reason(d, code)
	code in d.approvals.pending
}

# --- allow ---------------------------------------------------------------------------------------

test_allows_a_plain_settlement if {
	d := decide({})
	d.outcome == "allow"
	d.reasons == ["ALLOWED: every rule passed"]
	d.approvals == {"required": 0, "roles": [], "pending": []}
}

test_allows_every_known_action_within_the_rules if {
	every action in ["instruct", "affirm", "settle", "transfer", "cancel", "release"] {
		decide({"action": action}).outcome == "allow"
	}
}

test_allows_an_amount_equal_to_the_limits if {
	decide({"amount": "1000", "exposure_used": "7000"}).outcome == "allow"
}

test_allows_mint_by_the_issuer_desk_without_counterparty if {
	d := decide({"action": "mint", "counterparty": "", "initiator": {"id": "u-iss", "roles": ["issuer_desk"]}})
	d.outcome == "allow"
}

test_cancel_is_allowed_out_of_hours if {
	decide({"action": "cancel", "time_unix": friday_11h + 86400}).outcome == "allow"
}

# --- fail closed on the intent -------------------------------------------------------------------

test_denies_missing_fields if {
	denied_with({"intent_id": ""}, "INPUT_FIELD_MISSING")
	denied_with({"initiator": {"id": ""}}, "INPUT_FIELD_MISSING")
	d := policy.decision with input as json.remove(base_input, ["initiator", "amount"]) with data.bank as bank_data
	has_reason(d, "INPUT_FIELD_MISSING")
	"INPUT_FIELD_MISSING: initiator.id" in d.reasons
	"INPUT_FIELD_MISSING: amount" in d.reasons
	denied_with({"counterparty": ""}, "INPUT_FIELD_MISSING")
	e := policy.decision with input as {} with data.bank as bank_data
	e.outcome == "deny"
	"INPUT_FIELD_MISSING: action" in e.reasons
}

test_default_decision_is_a_deny_without_data if {
	d := policy.decision with input as base_input with data.bank as {}
	d.outcome == "deny"
}

test_denies_unknown_action if denied_with({"action": "teleport"}, "ACTION_UNKNOWN")

test_denies_malformed_amounts if {
	denied_with({"amount": "12.5"}, "AMOUNT_INVALID")
	denied_with({"amount": "-5"}, "AMOUNT_INVALID")
	denied_with({"amount": "0012"}, "AMOUNT_INVALID")
	denied_with({"amount": "1000000000000000"}, "AMOUNT_INVALID")
}

test_minor_units_is_exactly_zero_or_up_to_15_digits_without_a_leading_zero if {
	every ok in ["0", "1", "10", "999999999999999", "100000000000000"] {
		policy.minor_units(ok)
	}
	every bad in ["", "00", "01", "1000000000000000", "1e3", "-1", "+1", " 1", "1 ", "1.0", "0x10", "١", "１", 1, null] {
		not policy.minor_units(bad)
	}
}

test_clock_minutes_reads_exactly_hh_mm_from_00_00_to_23_59 if {
	policy.clock_minutes("00:00") == 0
	policy.clock_minutes("09:30") == 570
	policy.clock_minutes("23:59") == 1439
	every bad in ["24:00", "23:60", "9:30", "09:5", "0930", "09-30", "09:3a", "+9:30", "09:30 ", "１２:00", "ab:cd", 930] {
		not policy.clock_minutes(bad)
	}
}

test_denies_zero_amount if denied_with({"amount": "0"}, "AMOUNT_NOT_POSITIVE")

test_denies_malformed_exposure if denied_with({"exposure_used": "1e3"}, "EXPOSURE_INVALID")

test_denies_malformed_time if {
	denied_with({"time_unix": "2025-11-21T10:00:00Z"}, "TIME_INVALID")
	denied_with({"time_unix": 1.5}, "TIME_INVALID")
	denied_with({"time_unix": -1}, "TIME_INVALID")
}

# --- assets and counterparties -------------------------------------------------------------------

test_denies_unknown_asset if {
	denied_with({"asset": "DOGE"}, "ASSET_UNKNOWN")
	not has_reason(decide({"asset": "DOGE"}), "ASSET_NOT_ALLOWED")
}

test_limits_are_exact_at_fifteen_digits if {
	big := {"per_settlement": "999999999999999", "daily": "999999999999999"}
	bank := object.union(bank_data, {"counterparties": {"CP-A": {"limits": {"BOND": big}}}, "assets": {"BOND": {"approval_threshold": "999999999999999"}}})
	at_limit := object.union(base_input, {"asset": "BOND", "amount": "999999999999999"})
	d1 := policy.decision with input as at_limit with data.bank as bank
	d1.outcome == "allow"
	d2 := policy.decision with input as object.union(at_limit, {"exposure_used": "1"}) with data.bank as bank
	"DAILY_LIMIT_EXCEEDED" in {split(r, ":")[0] | some r in d2.reasons}
	d3 := policy.decision with input as object.union(at_limit, {"amount": "999999999999998"}) with data.bank as object.union(bank, {"counterparties": {"CP-A": {"limits": {"BOND": {"per_settlement": "999999999999997"}}}}})
	"SETTLEMENT_LIMIT_EXCEEDED" in {split(r, ":")[0] | some r in d3.reasons}
}

test_denies_disabled_asset if denied_with({"asset": "OFF"}, "ASSET_NOT_ALLOWED")

test_denies_unknown_counterparty if denied_with({"counterparty": "CP-NOBODY"}, "COUNTERPARTY_UNKNOWN")

test_denies_suspended_counterparty if {
	denied_with({"counterparty": "CP-SUSPENDED"}, "COUNTERPARTY_NOT_ALLOWED")
	denied_with({"counterparty": "CP-NOSTATUS"}, "COUNTERPARTY_NOT_ALLOWED")
}

test_denies_asset_not_allowed_with_counterparty if {
	denied_with({"counterparty": "CP-SUSPENDED", "asset": "BOND"}, "COUNTERPARTY_ASSET_NOT_ALLOWED")
}

test_denies_malformed_limits if denied_with({"counterparty": "CP-BADLIMITS"}, "LIMIT_CONFIG_INVALID")

# --- limits --------------------------------------------------------------------------------------

test_denies_above_the_per_settlement_limit if denied_with({"amount": "5001", "approvals": approvers(["c1", "c2"], "compliance_officer")}, "SETTLEMENT_LIMIT_EXCEEDED")

test_denies_above_the_daily_limit if denied_with({"amount": "900", "exposure_used": "7101"}, "DAILY_LIMIT_EXCEEDED")

test_limits_do_not_apply_to_release if {
	decide({"action": "release", "amount": "900", "exposure_used": "7900"}).outcome == "allow"
}

test_limits_compare_numbers_not_strings if {
	# "900" > "5000" as strings; as numbers it is below the limit.
	decide({"amount": "900"}).outcome == "allow"
}

# --- time ----------------------------------------------------------------------------------------

test_denies_on_weekends if {
	denied_with({"time_unix": friday_11h + 86400}, "WEEKEND_CLOSED")
	denied_with({"time_unix": friday_11h + (2 * 86400)}, "WEEKEND_CLOSED")
}

test_denies_outside_business_hours if {
	denied_with({"time_unix": friday_11h - (4 * 3600)}, "OUTSIDE_BUSINESS_HOURS")
	denied_with({"time_unix": friday_11h + (7 * 3600)}, "OUTSIDE_BUSINESS_HOURS")
}

test_business_hours_follow_the_offset if {
	# 17:30 UTC is 18:30 local: closed at UTC+1, open at UTC+0 (and no cut-off on the asset).
	patch := {"asset": "NOCUT", "time_unix": (friday_11h + (7 * 3600)) + 1800}
	bank := object.union(bank_data, {
		"timezone_offset_minutes": 0,
		"assets": {"NOCUT": {"enabled": true, "approval_threshold": "1000"}},
		"counterparties": {"CP-A": {"limits": {"NOCUT": {"per_settlement": "5000", "daily": "8000"}}}},
	})
	d := policy.decision with input as object.union(base_input, patch) with data.bank as bank
	d.outcome == "allow"
	denied_with({"time_unix": (friday_11h + (7 * 3600)) + 1800}, "OUTSIDE_BUSINESS_HOURS")
}

test_denies_after_the_asset_cutoff if {
	denied_with({"time_unix": friday_11h + (5 * 3600)}, "AFTER_CUTOFF")
	denied_with({"asset": "BOND", "time_unix": friday_11h + (4 * 3600)}, "AFTER_CUTOFF")
	decide({"time_unix": (friday_11h + (5 * 3600)) - 1}).outcome == "allow"
}

test_denies_malformed_cutoff if denied_with({"asset": "BROKEN"}, "CUTOFF_CONFIG_INVALID")

test_denies_a_missing_threshold if {
	bank := json.remove(bank_data, ["assets/EURT/approval_threshold"])
	d := policy.decision with input as base_input with data.bank as bank
	d.outcome == "deny"
	has_reason(d, "THRESHOLD_CONFIG_INVALID")
}

test_denies_mint_without_issuer_roles_configured if {
	bank := json.remove(bank_data, ["roles"])
	patch := {"action": "mint", "initiator": {"id": "u-iss", "roles": ["issuer_desk"]}}
	d := policy.decision with input as object.union(base_input, patch) with data.bank as bank
	"MINT_BURN_NOT_ISSUER: mint requires one of the roles []" in d.reasons
}

test_denies_malformed_time_configuration if {
	every bank in [
		object.union(bank_data, {"timezone_offset_minutes": 30.5}),
		object.union(bank_data, {"timezone_offset_minutes": 900}),
		json.remove(bank_data, ["closed_weekdays"]),
		json.remove(bank_data, ["business_hours"]),
	] {
		d := policy.decision with input as base_input with data.bank as bank
		d.outcome == "deny"
		has_reason(d, "TIME_CONFIG_INVALID")
	}
}

test_denies_malformed_business_hours if {
	bank := object.union(bank_data, {"business_hours": {"open": "18:00", "close": "08:00"}})
	d := policy.decision with input as base_input with data.bank as bank
	d.outcome == "deny"
	has_reason(d, "TIME_CONFIG_INVALID")
}

# --- AML, key tier, issuer -----------------------------------------------------------------------

test_denies_aml_hit if denied_with({"aml": "hit"}, "AML_HIT")

test_aml_hit_names_the_matched_list_entry if {
	d := decide({"aml": "hit", "screening": {"provider": "SDN", "matches": [
		{"party": "counterparty", "list": "SDN", "entry": "9001", "name": "NORTHWIND", "matchedOn": "identifier"},
		{"party": "client", "list": "SDN", "entry": "9002", "name": "MULLER", "matchedOn": "name"},
	]}})
	d.outcome == "deny"
	"AML_HIT: the AML screening returned a hit: SDN entry 9001 (NORTHWIND) matched the counterparty" in d.reasons
}

travel_rule := {
	"originator": {"name": "Alpha Bank AG", "account": "DE89370400440532013000"},
	"beneficiary": {"name": "Beta Bank SA", "account": "FR7630006000011234567890189"},
}

test_denies_travel_rule_without_names_above_threshold if {
	denied_with({"action": "instruct", "asset": "BOND", "amount": "701"}, "TRAVEL_RULE_INCOMPLETE")
	denied_with(
		{"action": "affirm", "asset": "BOND", "amount": "701", "travel_rule": {"originator": {"name": "", "account": "x"}, "beneficiary": travel_rule.beneficiary}},
		"TRAVEL_RULE_INCOMPLETE",
	)
}

test_allows_travel_rule_with_names_or_at_threshold if {
	not has_reason(decide({"action": "instruct", "asset": "BOND", "amount": "701", "travel_rule": travel_rule}), "TRAVEL_RULE_INCOMPLETE")
	not has_reason(decide({"action": "instruct", "asset": "BOND", "amount": "700"}), "TRAVEL_RULE_INCOMPLETE")
	not has_reason(decide({"action": "settle", "asset": "BOND", "amount": "701"}), "TRAVEL_RULE_INCOMPLETE")
}

test_denies_malformed_travel_rule_threshold if {
	d := policy.decision with input as object.union(base_input, {"asset": "TRBAD"}) with data.bank as object.union(bank_data, {"counterparties": {"CP-A": {"status": "active", "limits": {"TRBAD": {"per_settlement": "5000", "daily": "8000"}}}}})
	some r in d.reasons
	startswith(r, "THRESHOLD_CONFIG_INVALID: the travel-rule threshold")
}

test_denies_unknown_aml_result if denied_with({"aml": "pending"}, "AML_RESULT_UNKNOWN")

test_aml_medium_needs_compliance_approval if needs_approval({"aml": "medium"}, "AML_MEDIUM_RISK")

test_denies_unknown_key_tier if denied_with({"key_tier": "lukewarm"}, "KEY_TIER_UNKNOWN")

test_denies_mint_and_burn_without_issuer_role if {
	no_roles := json.remove(object.union(base_input, {"action": "mint"}), ["initiator/roles"])
	d := policy.decision with input as no_roles with data.bank as bank_data
	"MINT_BURN_NOT_ISSUER: mint requires one of the roles [\"issuer_desk\"]" in d.reasons
	denied_with({"action": "mint"}, "MINT_BURN_NOT_ISSUER")
	denied_with({"action": "burn"}, "MINT_BURN_NOT_ISSUER")
}

# --- approvals -----------------------------------------------------------------------------------

approvers(ids, role) := [{"id": id, "roles": [role]} | some id in ids]

test_threshold_needs_the_assets_number_of_approvers if {
	needs_approval({"amount": "1001"}, "APPROVAL_THRESHOLD_EXCEEDED")
	d := decide({"amount": "1001"})
	d.approvals.required == 2
	d.approvals.roles == ["compliance_officer"]
}

test_threshold_falls_back_to_the_default_number_of_approvers if {
	d := decide({"asset": "BOND", "amount": "1001"})
	d.approvals.required == 1
}

test_reversal_always_needs_approval if {
	needs_approval({"action": "reverse"}, "REVERSAL_REQUIRES_APPROVAL")
	needs_approval({"action": "approve_reversal"}, "REVERSAL_REQUIRES_APPROVAL")
}

test_cold_key_needs_two_approvals if {
	needs_approval({"key_tier": "cold", "approvals": approvers(["k1"], "custody_officer")}, "COLD_KEY_REQUIRES_APPROVALS")
	d := decide({"key_tier": "cold", "approvals": approvers(["k1", "k2"], "custody_officer")})
	d.outcome == "allow"
	d.reasons == ["APPROVALS_COMPLETE: COLD_KEY_REQUIRES_APPROVALS"]
}

test_approvals_complete_allows if {
	d := decide({"amount": "1001", "aml": "medium", "approvals": approvers(["c1", "c2"], "compliance_officer")})
	d.outcome == "allow"
	d.reasons == ["APPROVALS_COMPLETE: AML_MEDIUM_RISK, APPROVAL_THRESHOLD_EXCEEDED"]
	d.approvals.pending == []
}

test_four_eyes_initiator_never_counts if {
	patch := {"amount": "1001", "approvals": approvers(["u-alice", "c1"], "compliance_officer")}
	needs_approval(patch, "APPROVAL_THRESHOLD_EXCEEDED")
	d := decide(patch)
	has_reason(d, "FOUR_EYES_VIOLATION")
}

test_duplicate_approvers_count_once if {
	needs_approval({"amount": "1001", "approvals": approvers(["c1", "c1"], "compliance_officer")}, "APPROVAL_THRESHOLD_EXCEEDED")
}

test_approvers_need_the_right_role if {
	needs_approval({"amount": "1001", "approvals": approvers(["t1", "t2"], "trader")}, "APPROVAL_THRESHOLD_EXCEEDED")
}

test_deny_wins_over_approval_required if {
	d := decide({"aml": "medium", "asset": "DOGE"})
	d.outcome == "deny"
	not has_reason(d, "AML_MEDIUM_RISK")
}

test_denies_a_trigger_without_approval_configuration if {
	bank := json.remove(bank_data, ["approvals/COLD_KEY_REQUIRES_APPROVALS"])
	d := policy.decision with input as object.union(base_input, {"key_tier": "cold"}) with data.bank as bank
	d.outcome == "deny"
	has_reason(d, "APPROVAL_CONFIG_INVALID")
}

# --- escrow-returning steps, affirm-and-settle and governance ------------------------------------

test_unwind_steps_are_allowed_out_of_hours_without_limits if {
	every action in ["unwind", "approve_unwind"] {
		decide({"action": action, "time_unix": friday_11h + 86400, "amount": "900", "exposure_used": "7900"}).outcome == "allow"
	}
}

test_unwind_still_refuses_a_suspended_counterparty if {
	denied_with({"action": "unwind", "counterparty": "CP-SUSPENDED"}, "COUNTERPARTY_NOT_ALLOWED")
}

test_affirm_and_settle_is_held_to_the_limits_and_the_clock if {
	denied_with({"action": "affirm_and_settle", "amount": "5001"}, "SETTLEMENT_LIMIT_EXCEEDED")
	denied_with({"action": "affirm_and_settle", "amount": "1000", "exposure_used": "7500"}, "DAILY_LIMIT_EXCEEDED")
	denied_with({"action": "affirm_and_settle", "time_unix": friday_11h + 86400}, "WEEKEND_CLOSED")
	decide({"action": "affirm_and_settle"}).outcome == "allow"
}

governed_input := {
	"action": "govern",
	"intent_id": "gov-1",
	"initiator": {"id": "u-alice", "roles": ["operations"]},
	"governed_function": "reassignAccount",
	"exposure_used": "0",
	"time_unix": friday_11h,
	"aml": "clear",
	"key_tier": "hot",
	"approvals": [],
}

govern(patch) := d if {
	d := policy.decision with input as object.union(governed_input, patch) with data.bank as bank_data
}

test_governed_call_needs_approval_without_asset_or_counterparty if {
	d := govern({})
	d.outcome == "approval_required"
	d.approvals.pending == ["GOVERNANCE_REQUIRES_APPROVAL"]
	govern({"approvals": approvers(["o1"], "operations_manager")}).outcome == "allow"
}

test_governed_call_of_an_unlisted_function_is_denied if {
	d := govern({"governed_function": "resetAnchor", "approvals": approvers(["o1"], "operations_manager")})
	d.outcome == "deny"
	has_reason(d, "GOVERNANCE_FUNCTION_NOT_ALLOWED")
	d2 := govern({"governed_function": ""})
	has_reason(d2, "INPUT_FIELD_MISSING")
}

test_governed_call_is_held_to_business_hours if {
	d := govern({"time_unix": friday_11h + 86400, "approvals": approvers(["o1"], "operations_manager")})
	d.outcome == "deny"
	has_reason(d, "WEEKEND_CLOSED")
}

test_governed_call_without_a_governance_list_is_denied if {
	bank := json.remove(bank_data, ["governance"])
	d := policy.decision with input as governed_input with data.bank as bank
	has_reason(d, "GOVERNANCE_FUNCTION_NOT_ALLOWED")
}

test_nonce_fill_needs_operations_approval_at_any_hour if {
	fill := {
		"action": "fill_nonce",
		"intent_id": "nonce-fill:7",
		"initiator": {"id": "u-ops", "roles": ["operations"]},
		"nonce": 7,
		"exposure_used": "0",
		"time_unix": friday_11h + 86400,
		"aml": "clear",
		"key_tier": "hot",
		"approvals": [],
	}
	d := policy.decision with input as fill with data.bank as bank_data
	d.outcome == "approval_required"
	d.approvals.pending == ["NONCE_FILL_REQUIRES_APPROVAL"]
	d2 := policy.decision with input as object.union(fill, {"approvals": approvers(["c1"], "compliance_officer")}) with data.bank as bank_data
	d2.outcome == "approval_required"
	d3 := policy.decision with input as object.union(fill, {"approvals": approvers(["o1"], "operations_manager")}) with data.bank as bank_data
	d3.outcome == "allow"
}
