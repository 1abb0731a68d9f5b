// The playground's routes on a keyed server: GET / answers the page without the key, with a
// strict Content-Security-Policy and no inline script; its assets come with their types and
// immutable caching; an unknown asset is 404; and the API next to it still wants the key.
#include "web/web_ui.h"

#include <gtest/gtest.h>

#include <regex>

#include "server/routes.h"
#include "tests/support/recorded_responder.h"

namespace junction::server {
namespace {

using Recorded = test::RecordedResponder;

struct KeyedServer : ::testing::Test {
  Metrics metrics{"m"};
  ServingContext c;
  http::HttpHandler router;
  KeyedServer() {
    c.model_name = "m";
    c.api_key = "secret";
    c.metrics = &metrics;
    c.ready = true;
    router = make_router(c);
  }
  Recorded get(const std::string& path, const std::string& key = "",
               const std::string& method = "GET") {
    http::HttpRequest r;
    r.method = method;
    r.path = path;
    if (!key.empty()) r.headers["authorization"] = "Bearer " + key;
    Recorded out;
    router(r, out);
    return out;
  }
};

TEST_F(KeyedServer, PageNeedsNoKeyAndForbidsInlineScript) {
  const Recorded page = get("/");
  ASSERT_EQ(page.status, 200);
  EXPECT_EQ(page.type, "text/html; charset=utf-8");
  EXPECT_EQ(page.header("Content-Security-Policy"),
            "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
            "connect-src 'self'; frame-src 'self'; base-uri 'none'; form-action 'none'; "
            "frame-ancestors 'none'");
  EXPECT_EQ(page.header("X-Content-Type-Options"), "nosniff");
  EXPECT_EQ(page.header("Cache-Control"), "no-cache");
  EXPECT_NE(page.body.find("<!doctype html>"), std::string::npos) << page.body;
  // Every <script> loads a file; none carries code (the CSP would block it anyway).
  const std::regex script("<script([^>]*)>([^<]*)</script>", std::regex::icase);
  int scripts = 0;
  for (std::sregex_iterator it(page.body.begin(), page.body.end(), script), end; it != end; ++it) {
    ++scripts;
    EXPECT_NE((*it)[1].str().find("src=\"/assets/"), std::string::npos) << (*it)[0];
    EXPECT_EQ((*it)[2].str(), "");
  }
  EXPECT_EQ(scripts, 1);
  EXPECT_EQ(get("/index.html").body, page.body);
}

TEST_F(KeyedServer, AssetsTheyNameAreServedWithTypesAndImmutableCaching) {
  const std::string page = get("/").body;
  std::smatch js, css;
  ASSERT_TRUE(std::regex_search(page, js, std::regex("src=\"(/assets/[^\"]+\\.js)\""))) << page;
  ASSERT_TRUE(std::regex_search(page, css, std::regex("href=\"(/assets/[^\"]+\\.css)\""))) << page;
  const Recorded a = get(js[1]);
  ASSERT_EQ(a.status, 200);
  EXPECT_EQ(a.type, "text/javascript; charset=utf-8");
  EXPECT_EQ(a.header("Cache-Control"), "public, max-age=31536000, immutable");
  EXPECT_FALSE(a.header("Content-Security-Policy").empty());
  EXPECT_GT(a.body.size(), 1000u);
  const Recorded b = get(css[1], "", "HEAD");
  ASSERT_EQ(b.status, 200);
  EXPECT_EQ(b.type, "text/css; charset=utf-8");

  const Recorded missing = get("/assets/nothing-here.js");
  EXPECT_EQ(missing.status, 404);
  EXPECT_EQ(missing.header("Cache-Control"), "no-store");
}

TEST_F(KeyedServer, TheApiStillNeedsTheKey) {
  EXPECT_EQ(get("/v1/models").status, 401);
  EXPECT_EQ(get("/v1/models", "wrong").status, 401);
  EXPECT_EQ(get("/metrics").status, 401);
  EXPECT_EQ(get("/v1/models", "secret").status, 200);
  // Other methods on the page's paths are the API router's: keyed, then unknown.
  EXPECT_EQ(get("/", "", "POST").status, 401);
  EXPECT_EQ(get("/", "secret", "POST").status, 404);
  EXPECT_EQ(get("/v1/assets/x").status, 401);
}

}  // namespace
}  // namespace junction::server
