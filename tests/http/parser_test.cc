// RequestParser: every HTTP-edge input of reliability-security.md §2a that the parser owns
// (B01-B10, B14, B15) and each limit.
#include "http/request_parser.h"

#include <gtest/gtest.h>

#include <string>

namespace od::http {
namespace {

struct Outcome {
  bool ok = false;
  Request request;
  ParseError error;
  size_t consumed = 0;
};

Outcome parse(const std::string& bytes, const Limits& limits = Limits{}) {
  RequestParser parser(limits);
  Outcome out;
  out.consumed = parser.feed(bytes);
  if (parser.state() == RequestParser::State::Complete) {
    out.ok = true;
    out.request = parser.takeRequest();
  } else if (parser.state() == RequestParser::State::Failed) {
    out.error = parser.error();
  } else {
    out.error = ParseError{0, "incomplete"};
  }
  return out;
}

int statusOf(const std::string& bytes, const Limits& limits = Limits{}) {
  Outcome o = parse(bytes, limits);
  return o.ok ? 200 : o.error.status;
}

TEST(RequestParser, ParsesSimpleGet) {
  Outcome o = parse("GET /v1/modules/a%20b/x?x=1&y=%2F HTTP/1.1\r\nHost: h\r\nAccept: */*\r\n\r\n");
  ASSERT_TRUE(o.ok) << o.error.message;
  EXPECT_EQ(o.request.method, "GET");
  EXPECT_EQ(o.request.segments, (std::vector<std::string>{"v1", "modules", "a b", "x"}));
  EXPECT_EQ(o.request.query, "x=1&y=%2F");
  EXPECT_EQ(o.request.queryParam("y"), "/");
  ASSERT_NE(findHeader(o.request.headers, "accept"), nullptr);
  EXPECT_TRUE(o.request.keep_alive);
}

TEST(RequestParser, StopsAfterOneRequestOfAPipeline) {
  std::string one = "GET /a HTTP/1.1\r\nHost: h\r\n\r\n";
  std::string two = "GET /b HTTP/1.1\r\nHost: h\r\n\r\n";
  RequestParser parser{Limits{}};
  std::string all = one + two;
  size_t n = parser.feed(all);
  EXPECT_EQ(n, one.size());
  ASSERT_EQ(parser.state(), RequestParser::State::Complete);
  EXPECT_EQ(parser.takeRequest().segments[0], "a");
  EXPECT_EQ(parser.feed(std::string_view(all).substr(n)), two.size());
  ASSERT_EQ(parser.state(), RequestParser::State::Complete);
  EXPECT_EQ(parser.takeRequest().segments[0], "b");
}

TEST(RequestParser, AcceptsBytesOneAtATime) {
  std::string req = "POST /p HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello";
  RequestParser parser{Limits{}};
  for (char c : req) {
    ASSERT_EQ(parser.feed(std::string_view(&c, 1)), 1u);
  }
  ASSERT_EQ(parser.state(), RequestParser::State::Complete);
  EXPECT_EQ(parser.takeRequest().body, "hello");
}

TEST(RequestParser, ChunkedBody) {
  Outcome o = parse("POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n0\r\n\r\n");
  ASSERT_TRUE(o.ok) << o.error.message;
  EXPECT_EQ(o.request.body, "hello");
}

TEST(RequestParser, ChunkedBodyOneByteAtATime) {
  std::string req = "POST /p HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5;" + std::string(1000, 'e') + "\r\nhello\r\n3\r\nabc\r\n0\r\nT: v\r\n\r\n";
  RequestParser parser{Limits{}};
  for (char c : req) {
    ASSERT_EQ(parser.feed(std::string_view(&c, 1)), 1u) << parser.error().message;
  }
  ASSERT_EQ(parser.state(), RequestParser::State::Complete);
  EXPECT_EQ(parser.takeRequest().body, "helloabc");
}

TEST(RequestParser, HttpTenWithoutHostIsFineAndNotKeptAlive) {
  Outcome o = parse("GET / HTTP/1.0\r\n\r\n");
  ASSERT_TRUE(o.ok) << o.error.message;
  EXPECT_FALSE(o.request.keep_alive);
}

TEST(RequestParser, ConnectionCloseIsNotKeptAlive) {
  Outcome o = parse("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n");
  ASSERT_TRUE(o.ok);
  EXPECT_FALSE(o.request.keep_alive);
}

// B01
TEST(RequestParser, B01RequestLineOverLimitIs414) {
  std::string target(8 * 1024, 'a');
  EXPECT_EQ(statusOf("GET /" + target + " HTTP/1.1\r\nHost: h\r\n\r\n"), 414);
  Limits small;
  small.max_request_line = 32;
  EXPECT_EQ(statusOf("GET /" + std::string(40, 'a') + " HTTP/1.1\r\n", small), 414);
}

// B02
TEST(RequestParser, B02OneHeaderOverLimitIs431) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nX: " + std::string(8200, 'v') + "\r\n\r\n"), 431);
}

TEST(RequestParser, B02HeaderSectionOverLimitIs431) {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 10; ++i) {
    head += "X-" + std::to_string(i) + ": " + std::string(4000, 'v') + "\r\n";
  }
  EXPECT_EQ(statusOf(head + "\r\n"), 431);
}

TEST(RequestParser, B02TooManyFieldsIs431) {
  std::string head = "GET / HTTP/1.1\r\nHost: h\r\n";
  for (int i = 0; i < 100; ++i) {
    head += "X-" + std::to_string(i) + ": v\r\n";
  }
  EXPECT_EQ(statusOf(head + "\r\n"), 431);
  Limits few;
  few.max_header_count = 3;
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\n\r\n", few), 200);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n", few), 431);
}

// B03
TEST(RequestParser, B03ContentLengthWithTransferEncodingIs400) {
  EXPECT_EQ(statusOf("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                     "Content-Length: 5\r\n\r\n0\r\n\r\n"), 400);
}

// B04
TEST(RequestParser, B04BadOrDuplicateContentLengthIs400) {
  const char* values[] = {"+5", "0x10", "5, 6", "5 6", "5x", "-1", "", "99999999999999999999"};
  for (const char* v : values) {
    EXPECT_EQ(statusOf(std::string("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: ") + v +
                       "\r\n\r\nhello"), 400) << v;
  }
  EXPECT_EQ(statusOf("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nContent-Length: 5\r\n\r\n"), 400);
}

// B05
TEST(RequestParser, B05TransferEncodingOtherThanChunked) {
  auto te = [](const std::string& v) {
    return statusOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: " + v + "\r\n\r\n0\r\n\r\n");
  };
  EXPECT_EQ(te("chunked"), 200);
  EXPECT_EQ(te("chunked, gzip"), 501);
  EXPECT_EQ(te("gzip, chunked"), 501);
  EXPECT_EQ(te("xchunked"), 501);
  EXPECT_EQ(te("chunked;"), 400);
  EXPECT_EQ(statusOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n"
                     "Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400);
}

// B06
TEST(RequestParser, B06BadChunksAre400) {
  std::string head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n";
  EXPECT_EQ(statusOf(head + "fffffffffffffffffff\r\n"), 400);
  EXPECT_EQ(statusOf(head + "5\r\nhelloX0\r\n\r\n"), 400);
  EXPECT_EQ(statusOf(head + "zz\r\n"), 400);
  EXPECT_EQ(statusOf(head + "5;" + std::string(100000, 'e') + "\r\nhello\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(statusOf(head + "5;" + std::string(1500, 'e') + "\r\nhello\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(statusOf(head + "5;" + std::string(1000, 'e') + "\r\nhello\r\n0\r\n\r\n"), 200);
  EXPECT_EQ(statusOf(head + "5\r\nhello\r\n3;" + std::string(1500, 'e') + "\r\nabc\r\n0\r\n\r\n"), 400);
}

TEST(RequestParser, B06ChunkExtensionLimitHoldsAcrossFeeds) {
  std::string req = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                    "5\r\nhello\r\n3;" + std::string(1500, 'e') + "\r\nabc\r\n0\r\n\r\n";
  RequestParser parser{Limits{}};
  size_t off = 0;
  while (off < req.size() && parser.state() != RequestParser::State::Failed &&
         parser.state() != RequestParser::State::Complete) {
    off += parser.feed(std::string_view(req).substr(off, 7));
  }
  ASSERT_EQ(parser.state(), RequestParser::State::Failed);
  EXPECT_EQ(parser.error().status, 400);
}

// B07
TEST(RequestParser, B07FieldGrammarViolationsAre400) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n b\r\n\r\n"), 400);       // obs-fold
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nX: a\r\n\tb\r\n\r\n"), 400);      // obs-fold
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost : h\r\n\r\n"), 400);                   // space before :
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nX: a\rb\r\n\r\n"), 400);         // bare CR
  EXPECT_EQ(statusOf(std::string("GET / HTTP/1.1\r\nHost: h\r\nX: a\0b\r\n\r\n", 34)), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nX: a\x01" "b\r\n\r\n"), 400);    // CTL
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nX\x7f: a\r\n\r\n"), 400);        // DEL in name
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nX(y): a\r\n\r\n"), 400);         // non-tchar
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nX: caf\xc3\xa9\r\n\r\n"), 200);  // obs-text ok
}

// B08
TEST(RequestParser, B08HostRules) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.0\r\nHost: a\r\nHost: b\r\n\r\n"), 400);
}

// B09
TEST(RequestParser, B09BodyOnGetOrHeadIs400) {
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"), 400);
  EXPECT_EQ(statusOf("HEAD / HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\n\r\nabc"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET / HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"), 200);
}

TEST(RequestParser, BodyOverLimitIs413) {
  Limits small;
  small.max_body = 4;
  EXPECT_EQ(statusOf("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhello", small), 413);
  EXPECT_EQ(statusOf("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5\r\nhello\r\n0\r\n\r\n", small), 413);
}

// B10 (parser part: the router answers 501 for PROPFIND and 405 for POST on read routes)
TEST(RequestParser, B10MethodTokens) {
  EXPECT_EQ(statusOf("G@T / HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("BREW / HTTP/1.1\r\nHost: h\r\n\r\n"), 501);
  Outcome o = parse("PROPFIND / HTTP/1.1\r\nHost: h\r\n\r\n");
  ASSERT_TRUE(o.ok);
  EXPECT_EQ(o.request.method, "PROPFIND");
}

// B14
TEST(RequestParser, B14TlsClientHelloAndHttp2PrefaceAreRefused) {
  std::string hello("\x16\x03\x01\x02\x00\x01\x00\x01\xfc\x03\x03", 11);
  EXPECT_EQ(statusOf(hello), 400);
  EXPECT_EQ(statusOf("PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n"), 400);
}

// B15
TEST(RequestParser, B15AbsoluteFormIs400) {
  EXPECT_EQ(statusOf("GET http://evil/x HTTP/1.1\r\nHost: evil\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("OPTIONS * HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("CONNECT evil:443 HTTP/1.1\r\nHost: evil\r\n\r\n"), 400);
}

TEST(RequestParser, TargetDecodingRulesApply) {
  EXPECT_EQ(statusOf("GET /a%2Fb HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /a/%2e%2e/b HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /a/../b HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /a%0d%0aX: y HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
  EXPECT_EQ(statusOf("GET /a\"b HTTP/1.1\r\nHost: h\r\n\r\n"), 400);
}

TEST(RequestParser, LeadingEmptyLinesAreIgnored) {
  EXPECT_EQ(statusOf("\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"), 200);
}

TEST(RequestParser, IncompleteHeadIsNeitherDoneNorFailed) {
  RequestParser parser{Limits{}};
  parser.feed("GET / HTTP/1.1\r\nHost: h\r\n");
  EXPECT_EQ(parser.state(), RequestParser::State::Head);
}

}  // namespace
}  // namespace od::http

namespace od::http {
namespace {

// Deterministic garbage and mutated requests: the parser ends in a state, never crashes
// (a smoke test for the ASan build; real fuzzing is a separate target).
TEST(RequestParser, SurvivesMutatedInput) {
  std::string base = "POST /a/b?c=d HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                     "5;x=y\r\nhello\r\n0\r\nT: v\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n";
  uint32_t seed = 12345;
  auto next = [&seed] {
    seed = seed * 1664525u + 1013904223u;
    return seed >> 8;
  };
  for (int round = 0; round < 3000; ++round) {
    std::string input = base;
    int edits = 1 + static_cast<int>(next() % 4);
    for (int e = 0; e < edits; ++e) {
      input[next() % input.size()] = static_cast<char>(next() & 0xff);
    }
    RequestParser parser{Limits{}};
    std::string_view rest = input;
    for (int guard = 0; guard < 10 && !rest.empty(); ++guard) {
      size_t n = parser.feed(rest.substr(0, 1 + next() % rest.size()));
      rest.remove_prefix(n);
      if (parser.state() == RequestParser::State::Complete) {
        parser.takeRequest();
      } else if (parser.state() == RequestParser::State::Failed) {
        EXPECT_GE(parser.error().status, 400);
        break;
      }
    }
  }
}

}  // namespace
}  // namespace od::http
