// The registry's pure rules (src/registry/rules.h): alias names, the
// approval graph (every pair of the 4x4 table), the role policy, version
// precedence and JSON-object checks. No storage.
#include "src/registry/rules.h"

#include <algorithm>
#include <random>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "gmock/gmock.h"
#include "gtest/gtest.h"
#include "slipway/registry.h"
#include "slipway/status.h"
#include "tests/storage/storage_test_util.h"

namespace slipway::internal_registry {
namespace {

using ::slipway::storage_test::MessageOf;
using ::slipway::storage_test::ReasonOf;
using ::testing::HasSubstr;

// --- ValidateAlias -----------------------------------------------------------

TEST(ValidateAliasTest, AcceptsModelNameShapedAliases) {
  for (const std::string& alias : std::vector<std::string>{
           "champion", "challenger", "a1", "prod-2", "blue_green", "x9", "2x",
           std::string(64, 'a')}) {
    EXPECT_TRUE(ValidateAlias(alias).ok()) << alias << ": " << ValidateAlias(alias);
  }
}

TEST(ValidateAliasTest, RefusesBadShapesWithAliasInvalid) {
  for (const std::string& alias :
       {std::string(""), std::string("a"), std::string(65, 'a'),
        std::string("Champion"), std::string("CHAMPION"), std::string("-x"),
        std::string("x-"), std::string("_x"), std::string("has space"),
        std::string("a/b"), std::string("caf\xc3\xa9"), std::string("a\0b", 3)}) {
    absl::Status s = ValidateAlias(alias);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << alias;
    EXPECT_EQ(ReasonOf(s), "ALIAS_INVALID") << alias;
    EXPECT_EQ(GetErrorDetail(s)->value, alias);
  }
  // The message quotes the value and shows a valid example.
  absl::Status s = ValidateAlias("Champion");
  EXPECT_THAT(MessageOf(s), HasSubstr("\"Champion\""));
  EXPECT_THAT(MessageOf(s), HasSubstr("champion"));
}

TEST(ValidateAliasTest, LatestIsReserved) {
  absl::Status s = ValidateAlias("latest");
  EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument);
  EXPECT_EQ(ReasonOf(s), "ALIAS_RESERVED");
  EXPECT_THAT(MessageOf(s), HasSubstr("latest"));
  // Only the exact word: aliases that merely contain it are fine.
  EXPECT_TRUE(ValidateAlias("latest-good").ok());
  EXPECT_TRUE(ValidateAlias("not-latest").ok());
}

TEST(ValidateAliasTest, RevisionLikeAliasesAreReserved) {
  for (const char* alias : {"2", "10", "12345"}) {
    absl::Status s = ValidateAlias(alias);
    // "2" is 1 character: too short for the shape already.
    if (std::string_view(alias).size() < 2) {
      EXPECT_FALSE(s.ok()) << alias;
      continue;
    }
    EXPECT_EQ(ReasonOf(s), "ALIAS_RESERVED") << alias;
    EXPECT_THAT(MessageOf(s), HasSubstr("version")) << alias;
  }
  // Digits that are not a version (leading zeros, past 64 bits) cannot be
  // confused with one, so they are ordinary aliases.
  EXPECT_TRUE(ValidateAlias("007").ok());
  EXPECT_TRUE(ValidateAlias("99999999999999999999").ok());
}

// rules.h: an alias is "not something that reads as a version ("2",
// "1.0.0") ... Reasons ALIAS_INVALID, ALIAS_RESERVED". "2" is one character
// and "1.0.0" has dots, so both fail the shape check first and come back
// ALIAS_INVALID (the ALIAS_RESERVED branch is reachable only for all-digit
// aliases of 2+ characters). They are refused either way (never ambiguous);
// the reason is what differs from the header's examples.
TEST(ValidateAliasTest, VersionLikeAliasesAreRefused) {
  for (const char* alias : {"2", "1.0.0", "v1.0.0", "1.0.0-rc.1"}) {
    absl::Status s = ValidateAlias(alias);
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << alias;
    EXPECT_EQ(ReasonOf(s), "ALIAS_RESERVED") << alias;
  }
}

// --- CheckApprovalTransition ---------------------------------------------------

constexpr ApprovalStatus kAllStatuses[] = {
    ApprovalStatus::kNone, ApprovalStatus::kPendingApproval,
    ApprovalStatus::kApproved, ApprovalStatus::kRejected};

TEST(CheckApprovalTransitionTest, ExactlyTheDocumentedMovesAreLegal) {
  using S = ApprovalStatus;
  // slipway/registry.h, the whole table.
  const std::set<std::pair<S, S>> legal = {
      {S::kNone, S::kPendingApproval},
      {S::kNone, S::kApproved},
      {S::kNone, S::kRejected},
      {S::kPendingApproval, S::kApproved},
      {S::kPendingApproval, S::kRejected},
      {S::kApproved, S::kRejected},
      {S::kRejected, S::kPendingApproval},
  };
  int checked = 0;
  for (S from : kAllStatuses) {
    for (S to : kAllStatuses) {
      ++checked;
      absl::Status s = CheckApprovalTransition("fraud", "1.0.0", from, to);
      const std::string move = std::string(ApprovalStatusName(from)) + " -> " +
                               std::string(ApprovalStatusName(to));
      if (legal.contains({from, to})) {
        EXPECT_TRUE(s.ok()) << move << ": " << s;
      } else {
        EXPECT_EQ(s.code(), absl::StatusCode::kFailedPrecondition) << move;
        EXPECT_EQ(ReasonOf(s), "APPROVAL_TRANSITION_INVALID") << move;
        EXPECT_EQ(GetErrorDetail(s)->value, move);
        EXPECT_THAT(MessageOf(s), HasSubstr("\"fraud\"")) << move;
        EXPECT_THAT(MessageOf(s), HasSubstr("1.0.0")) << move;
        EXPECT_FALSE(GetErrorDetail(s)->fix.empty()) << move;
      }
    }
  }
  EXPECT_EQ(checked, 16);
}

TEST(CheckApprovalTransitionTest, FixesSayWhatToDoInstead) {
  using S = ApprovalStatus;
  EXPECT_THAT(GetErrorDetail(CheckApprovalTransition("m1", "1", S::kApproved,
                                                     S::kNone))
                  ->fix,
              HasSubstr("Rejected"));
  EXPECT_THAT(GetErrorDetail(CheckApprovalTransition("m1", "1", S::kApproved,
                                                     S::kApproved))
                  ->fix,
              HasSubstr("already"));
  EXPECT_THAT(GetErrorDetail(CheckApprovalTransition("m1", "1", S::kRejected,
                                                     S::kApproved))
                  ->fix,
              HasSubstr("PendingApproval"));
}

TEST(ApprovalActionTest, NamesThePolicyAction) {
  EXPECT_EQ(ApprovalAction(ApprovalStatus::kApproved), "approve");
  EXPECT_EQ(ApprovalAction(ApprovalStatus::kRejected), "reject");
  EXPECT_EQ(ApprovalAction(ApprovalStatus::kPendingApproval),
            "request_approval");
}

TEST(ApprovalStatusTest, NamesRoundTrip) {
  for (ApprovalStatus s : kAllStatuses) {
    absl::StatusOr<ApprovalStatus> parsed =
        ParseApprovalStatus(ApprovalStatusName(s));
    ASSERT_TRUE(parsed.ok());
    EXPECT_EQ(*parsed, s);
  }
  EXPECT_EQ(ReasonOf(ParseApprovalStatus("approved").status()),
            "APPROVAL_STATUS_INVALID");
}

// --- CheckRole ---------------------------------------------------------------

TEST(CheckRoleTest, AnActionWithoutARuleIsOpen) {
  RolePolicy policy;
  for (const char* action : {"set_alias", "delete_alias", "archive_version",
                             "request_approval"}) {
    for (const char* env : {"development", "staging", "production"}) {
      EXPECT_TRUE(CheckRole(policy, DefaultValidationPolicy(), env, action, Actor{"bob", ""}).ok())
          << action << " in " << env;
    }
  }
  // approve is limited in staging and production only.
  EXPECT_TRUE(CheckRole(policy, DefaultValidationPolicy(), "development", "approve", Actor{"bob", ""}).ok());
  // delete_version is limited in production only.
  EXPECT_TRUE(
      CheckRole(policy, DefaultValidationPolicy(), "staging", "delete_version", Actor{"bob", ""}).ok());
}

TEST(CheckRoleTest, ALimitedActionNeedsOneOfItsRoles) {
  RolePolicy policy;
  for (const char* env : {"staging", "production"}) {
    for (const char* role : {"data-science-lead", "platform-lead", "admin"}) {
      EXPECT_TRUE(CheckRole(policy, DefaultValidationPolicy(), env, "approve", Actor{"lead", role}).ok())
          << role << " in " << env;
      EXPECT_TRUE(CheckRole(policy, DefaultValidationPolicy(), env, "reject", Actor{"lead", role}).ok());
    }
  }
  EXPECT_TRUE(CheckRole(policy, DefaultValidationPolicy(), "production", "delete_version",
                        Actor{"p", "platform-lead"})
                  .ok());
  EXPECT_EQ(ReasonOf(CheckRole(policy, DefaultValidationPolicy(), "production", "delete_version",
                               Actor{"d", "data-science-lead"})),
            "ROLE_REQUIRED");
}

TEST(CheckRoleTest, RefusalNamesTheRolesAndTheActor) {
  RolePolicy policy;
  absl::Status none =
      CheckRole(policy, DefaultValidationPolicy(), "production", "approve", Actor{"bob", ""});
  EXPECT_EQ(none.code(), absl::StatusCode::kFailedPrecondition);
  EXPECT_EQ(ReasonOf(none), "ROLE_REQUIRED");
  EXPECT_THAT(MessageOf(none),
              HasSubstr("data-science-lead, platform-lead, admin"));
  EXPECT_THAT(MessageOf(none), HasSubstr("\"bob\""));
  EXPECT_THAT(MessageOf(none), HasSubstr("no role"));
  EXPECT_THAT(MessageOf(none), HasSubstr("production"));
  EXPECT_THAT(GetErrorDetail(none)->fix, HasSubstr("data-science-lead"));

  absl::Status wrong =
      CheckRole(policy, DefaultValidationPolicy(), "staging", "approve", Actor{"eve", "intern"});
  EXPECT_EQ(ReasonOf(wrong), "ROLE_REQUIRED");
  EXPECT_EQ(GetErrorDetail(wrong)->value, "intern");
  EXPECT_THAT(MessageOf(wrong), HasSubstr("\"intern\""));
  // Role names match exactly.
  EXPECT_EQ(ReasonOf(CheckRole(policy, DefaultValidationPolicy(), "production", "approve",
                               Actor{"x", "Admin"})),
            "ROLE_REQUIRED");
}

TEST(CheckRoleTest, RulesForOneActionAddUpAndEmptyRuleAllowsNoOne) {
  RolePolicy policy;
  policy.rules = {{"production", "set_alias", {"a-role"}},
                  {"production", "set_alias", {"b-role"}},
                  {"production", "archive_version", {}}};
  EXPECT_TRUE(CheckRole(policy, DefaultValidationPolicy(), "production", "set_alias", {"x", "a-role"}).ok());
  EXPECT_TRUE(CheckRole(policy, DefaultValidationPolicy(), "production", "set_alias", {"x", "b-role"}).ok());
  absl::Status nobody =
      CheckRole(policy, DefaultValidationPolicy(), "production", "archive_version", {"x", "admin"});
  EXPECT_EQ(ReasonOf(nobody), "ROLE_REQUIRED");
  EXPECT_THAT(GetErrorDetail(nobody)->fix, HasSubstr("allows no one"));
  // The default rules were replaced: approving is open now.
  EXPECT_TRUE(CheckRole(policy, DefaultValidationPolicy(), "production", "approve", {"x", ""}).ok());
}

// --- SortByPrecedence ----------------------------------------------------------

std::vector<std::string> SortedVersions(std::vector<std::string> versions,
                                        unsigned seed) {
  std::mt19937 rng(seed);
  std::shuffle(versions.begin(), versions.end(), rng);
  std::vector<ModelVersionInfo> infos;
  for (const std::string& v : versions) {
    ModelVersionInfo info;
    info.model = "m1";
    info.version = v;
    infos.push_back(info);
  }
  SortByPrecedence(infos);
  std::vector<std::string> out;
  for (const ModelVersionInfo& i : infos) out.push_back(i.version);
  return out;
}

TEST(SortByPrecedenceTest, SemverPrecedence) {
  const std::vector<std::string> ordered = {
      "1.0.0-alpha",  "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
      "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1",       "1.0.0",
      "1.0.1",        "1.10.0",        "2.0.0"};
  for (unsigned seed = 0; seed < 20; ++seed) {
    EXPECT_EQ(SortedVersions(ordered, seed), ordered) << "seed " << seed;
  }
  // Reversed input, the worst case for a string sort.
  std::vector<std::string> reversed(ordered.rbegin(), ordered.rend());
  std::vector<ModelVersionInfo> infos;
  for (const std::string& v : reversed) infos.push_back({.model = "m1", .version = v});
  SortByPrecedence(infos);
  for (size_t i = 0; i < ordered.size(); ++i) EXPECT_EQ(infos[i].version, ordered[i]);
}

TEST(SortByPrecedenceTest, RevisionsSortNumerically) {
  const std::vector<std::string> ordered = {"1", "2", "3", "9", "10", "11",
                                            "100"};
  for (unsigned seed = 0; seed < 10; ++seed) {
    EXPECT_EQ(SortedVersions(ordered, seed), ordered) << "seed " << seed;
  }
  EXPECT_EQ(SortedVersions({"10", "2"}, 0), (std::vector<std::string>{"2", "10"}));
}

TEST(SortByPrecedenceTest, KeepsEveryFieldWithItsVersion) {
  std::vector<ModelVersionInfo> infos(3);
  infos[0].version = "3";
  infos[0].description = "three";
  infos[1].version = "1";
  infos[1].description = "one";
  infos[2].version = "2";
  infos[2].description = "two";
  SortByPrecedence(infos);
  EXPECT_EQ(infos[0].description, "one");
  EXPECT_EQ(infos[1].description, "two");
  EXPECT_EQ(infos[2].description, "three");
  std::vector<ModelVersionInfo> empty;
  SortByPrecedence(empty);
  EXPECT_TRUE(empty.empty());
}

// --- ValidateJsonObject --------------------------------------------------------

TEST(ValidateJsonObjectTest, AcceptsObjects) {
  for (const char* text :
       {"{}", " { } ", R"({"framework": "torch"})",
        R"({"inputs": {"amount": "float"}, "outputs": [1, 2, null]})"}) {
    EXPECT_TRUE(ValidateJsonObject(text, "metadata", "METADATA_INVALID").ok())
        << text;
  }
}

TEST(ValidateJsonObjectTest, RefusesEverythingElseWithTheGivenReason) {
  for (const char* text : {"", "[]", "1", "\"x\"", "null", "true", "{",
                           "{\"a\":}", "{} {}", "{'a': 1}"}) {
    absl::Status s = ValidateJsonObject(text, "signature", "SIGNATURE_INVALID");
    EXPECT_EQ(s.code(), absl::StatusCode::kInvalidArgument) << text;
    EXPECT_EQ(ReasonOf(s), "SIGNATURE_INVALID") << text;
    EXPECT_THAT(MessageOf(s), HasSubstr("signature")) << text;
    EXPECT_EQ(GetErrorDetail(s)->value, text);
  }
  EXPECT_THAT(MessageOf(ValidateJsonObject("{", "metadata", "METADATA_INVALID")),
              HasSubstr("does not parse"));
  EXPECT_THAT(MessageOf(ValidateJsonObject("[]", "metadata", "METADATA_INVALID")),
              ::testing::Not(HasSubstr("does not parse")));
}

}  // namespace
}  // namespace slipway::internal_registry
