#include <gtest/gtest.h>

#include "adapters/config/options.h"

namespace od::adapters::config {
namespace {

ConfigInputs baseInputs() {
  ConfigInputs in;
  in.flags["valkey-url"] = {"redis://127.0.0.1:6379"};
  in.flags["public-url"] = {"https://registry.example.com"};
  return in;
}

TEST(Options, FlagsWinOverEnvironmentWhichWinsOverFile) {
  ConfigInputs in = baseInputs();
  in.file_text = "listen: 0.0.0.0:1111\nlogLevel: debug\nstorageRoot: /srv/file\n";
  in.environment["OPENDEPOT_LISTEN"] = "0.0.0.0:2222";
  in.environment["OPENDEPOT_LOG_LEVEL"] = "warn";
  in.flags["listen"] = {"127.0.0.1:3333"};
  auto loaded = loadOptions(in, false);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->options.listen, "127.0.0.1:3333");
  EXPECT_EQ(loaded->options.log_level, "warn");
  EXPECT_EQ(loaded->options.storage_root, "/srv/file");
  EXPECT_EQ(loaded->sources.at("listen").source, Source::Flag);
  EXPECT_EQ(loaded->sources.at("log-level").source, Source::Environment);
  EXPECT_EQ(loaded->sources.at("storage-root").source, Source::File);
  EXPECT_EQ(loaded->options.github_api_url, "https://api.github.com");  // default
}

TEST(Options, ProviderVersionsComeFromTheRegistryOrTheReleasesApi) {
  ConfigInputs in = baseInputs();
  auto loaded = loadOptions(in, false);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->options.provider_versions_from, "registry");  // the reference's source
  EXPECT_EQ(loaded->options.releases_api_url, "https://api.releases.hashicorp.com");
  in.file_text = "providerVersionsFrom: releases-api\n";
  loaded = loadOptions(in, false);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->options.provider_versions_from, "releases-api");
  in.flags["provider-versions-from"] = {"github"};
  auto bad = loadOptions(in, false);
  ASSERT_FALSE(bad.ok());
  EXPECT_NE(bad.error().message.find("provider-versions-from: must be registry or releases-api"),
            std::string::npos)
      << bad.error().message;
}

TEST(Options, ListsComeFromRepeatedFlagsCommaEnvironmentOrYamlSequences) {
  ConfigInputs in = baseInputs();
  in.file_text = "namespace: [a, b]\nroles:\n  - watch\n  - serve\n";
  auto loaded = loadOptions(in, false);
  ASSERT_TRUE(loaded.ok()) << loaded.error().message;
  EXPECT_EQ(loaded->options.namespaces, (std::vector<std::string>{"a", "b"}));
  EXPECT_EQ(loaded->options.roles, (std::vector<std::string>{"watch", "serve"}));
  in.environment["OPENDEPOT_NAMESPACE"] = "x, y ,z";
  EXPECT_EQ(loadOptions(in, false)->options.namespaces, (std::vector<std::string>{"x", "y", "z"}));
  in.flags["namespace"] = {"p", "q"};
  EXPECT_EQ(loadOptions(in, false)->options.namespaces, (std::vector<std::string>{"p", "q"}));
}

TEST(Options, ReportsEveryProblemAtOnce) {
  ConfigInputs in;
  in.flags["roles"] = {"watch,serve,dance"};
  in.flags["listen"] = {"nowhere"};
  in.flags["auth"] = {"magic"};
  in.flags["tls-cert"] = {"/c.pem"};
  in.flags["github-api-url"] = {"http://github.local"};
  in.environment["OPENDEPOT_ALLOW_PLAIN_HTTP"] = "perhaps";
  auto loaded = loadOptions(in, false);
  ASSERT_FALSE(loaded.ok());
  const auto& msg = loaded.error().message;
  for (const char* part : {"unknown role 'dance'", "valkey-url: is required", "listen: must be host:port",
                           "auth: must be anonymous", "tls-cert and tls-key go together",
                           "public-url: is required", "github-api-url: must be an https:// URL",
                           "allow-plain-http: must be true or false"}) {
    EXPECT_NE(msg.find(part), std::string::npos) << part << " in: " << msg;
  }
}

TEST(Options, DevNeedsNeitherValkeyUrlNorPublicUrl) {
  EXPECT_TRUE(loadOptions(ConfigInputs{}, true).ok());
  EXPECT_FALSE(loadOptions(ConfigInputs{}, false).ok());
}

TEST(Options, PlainHttpUpstreamsOnlyWhenAllowed) {
  ConfigInputs in = baseInputs();
  in.flags["github-api-url"] = {"http://127.0.0.1:9000"};
  EXPECT_FALSE(loadOptions(in, false).ok());
  in.flags["allow-plain-http"] = {"true"};
  EXPECT_TRUE(loadOptions(in, false).ok());
}

TEST(Options, DurationsAreWholeSeconds) {
  ConfigInputs in = baseInputs();
  in.flags["claim-idle"] = {"5"};
  in.environment["OPENDEPOT_TEMP_MAX_AGE"] = "0";
  auto ok = loadOptions(in, false);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->options.claim_idle, "5");
  EXPECT_EQ(ok->options.temp_max_age, "0");
  for (const char* bad : {"-1", "1.5", "2m", "", "99999999999"}) {
    in.flags["claim-idle"] = {bad};
    auto r = loadOptions(in, false);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("claim-idle"), std::string::npos);
  }
  EXPECT_EQ(parseSeconds("120"), 120);
  EXPECT_FALSE(parseSeconds(" 1").has_value());
}

TEST(Options, DepotPollMinuteIsPositiveMilliseconds) {
  ConfigInputs in = baseInputs();
  auto defaults = loadOptions(in, false);
  ASSERT_TRUE(defaults.ok());
  EXPECT_EQ(defaults->options.depot_poll_minute_ms, "60000");
  in.flags["depot-poll-minute-ms"] = {"100"};
  auto ok = loadOptions(in, false);
  ASSERT_TRUE(ok.ok()) << ok.error().message;
  EXPECT_EQ(ok->options.depot_poll_minute_ms, "100");
  for (const char* bad : {"0", "-5", "1s", ""}) {
    in.flags["depot-poll-minute-ms"] = {bad};
    auto r = loadOptions(in, false);
    ASSERT_FALSE(r.ok()) << bad;
    EXPECT_NE(r.error().message.find("depot-poll-minute-ms"), std::string::npos);
  }
}

TEST(Options, UnknownOrMalformedFileContentIsReported) {
  ConfigInputs in = baseInputs();
  in.file_name = "od.yaml";
  in.file_text = "valkeyURL: redis://x:1\n";
  auto loaded = loadOptions(in, false);
  ASSERT_FALSE(loaded.ok());
  EXPECT_NE(loaded.error().message.find("od.yaml: valkeyURL: unknown key"), std::string::npos);
  in.file_text = "listen: [unclosed";
  EXPECT_NE(loadOptions(in, false).error().message.find("is not valid YAML"), std::string::npos);
  in.file_text = "- just\n- a list\n";
  EXPECT_NE(loadOptions(in, false).error().message.find("must be a YAML mapping"), std::string::npos);
  in.file_text = "listen: {a: b}\n";
  EXPECT_NE(loadOptions(in, false).error().message.find("must be a scalar or a list"), std::string::npos);
}

TEST(Options, NamesFollowTheConvention) {
  EXPECT_EQ(envName("valkey-url"), "OPENDEPOT_VALKEY_URL");
  EXPECT_EQ(yamlKey("valkey-url"), "valkeyUrl");
  EXPECT_EQ(yamlKey("groupbinding-namespace"), "groupbindingNamespace");
}

TEST(ValkeyUrl, ParsesHostPortCredentialsDbAndTls) {
  auto a = parseValkeyUrl("rediss://user:p%40ss:word@cache.local:6380/3");
  ASSERT_TRUE(a.ok()) << a.error().message;
  EXPECT_TRUE(a->tls);
  EXPECT_EQ(a->host, "cache.local");
  EXPECT_EQ(a->port, 6380);
  EXPECT_EQ(a->user, "user");
  EXPECT_EQ(a->password, "p%40ss:word");
  EXPECT_EQ(a->db, 3);
  auto b = parseValkeyUrl("redis://[::1]:7000");
  ASSERT_TRUE(b.ok());
  EXPECT_EQ(b->host, "::1");
  EXPECT_EQ(b->port, 7000);
  auto c = parseValkeyUrl("redis://valkey");
  ASSERT_TRUE(c.ok());
  EXPECT_EQ(c->port, 6379);
  EXPECT_EQ(c->password, "");
}

TEST(ValkeyUrl, RejectsWrongSchemesPortsAndDatabases) {
  for (const char* bad : {"http://x:1", "redis://", "redis://x:0", "redis://x:70000", "redis://x:1/99",
                          "redis://x:abc", "redis://x:1/zz"}) {
    EXPECT_FALSE(parseValkeyUrl(bad).ok()) << bad;
  }
}

}  // namespace
}  // namespace od::adapters::config
