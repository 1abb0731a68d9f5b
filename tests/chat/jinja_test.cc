// Unit tests of junction's Jinja interpreter. Expected outputs follow Jinja2 3.1's documented
// semantics under HF's settings (trim_blocks, lstrip_blocks, no trailing newline, loop
// controls, HF's tojson) and Python's str()/repr() of values, worked out by hand.
#include <gtest/gtest.h>

#include "chat/jinja/template.h"

namespace junction::jinja {
namespace {

using json = nlohmann::ordered_json;

TemplateOptions fixed_clock(Limits limits = {}) {
  TemplateOptions o;
  o.limits = limits;
  o.now = [] {
    std::tm tm{};
    tm.tm_year = 2024 - 1900, tm.tm_mon = 0, tm.tm_mday = 2, tm.tm_hour = 13, tm.tm_min = 5;
    return tm;
  };
  return o;
}

std::string R(std::string_view src, const json& ctx = json::object(), Limits limits = {}) {
  return Template(src, fixed_clock(limits)).render(ctx.is_null() ? json::object() : ctx);
}

TemplateError E(std::string_view src, const json& ctx = json::object(), Limits limits = {}) {
  try {
    R(src, ctx, limits);
  } catch (const TemplateError& e) {
    return e;
  }
  ADD_FAILURE() << "no error for: " << src.substr(0, 200);
  return TemplateError(0, 0, "");
}

TEST(Jinja, Literals) {
  EXPECT_EQ(R("{{ 1 }} {{ 1.0 }} {{ -2 }} {{ 1_000 }} {{ 2.50 }}"), "1 1.0 -2 1000 2.5");
  EXPECT_EQ(R("{{ none }} {{ None }} {{ true }} {{ False }}"), "None None True False");
  EXPECT_EQ(R("{{ 'a\\nb' }}|{{ \"q\\\"\" }}|{{ 'x' 'y' }}|{{ '\\u00e9' }}"), "a\nb|q\"|xy|é");
  EXPECT_EQ(R("{{ [1, 'a', none, true, 1.5] }}"), "[1, 'a', None, True, 1.5]");
  EXPECT_EQ(R("{{ {'a': 1, 'b': [2]} }}"), "{'a': 1, 'b': [2]}");
  EXPECT_EQ(R("{{ (1,) }} {{ (1, 2) }} {{ () }}"), "(1,) (1, 2) ()");
  EXPECT_EQ(R("{{ [\"it's\", 'say \"hi\"', 'a\\nb'] }}"), "[\"it's\", 'say \"hi\"', 'a\\nb']");
}

TEST(Jinja, PythonNumberSemantics) {
  EXPECT_EQ(R("{{ 1/2 }} {{ 4/2 }} {{ 7//2 }} {{ -7//2 }} {{ 7.0//2 }} {{ -7 % 3 }} {{ 7 % -3 }} "
              "{{ 5.5 % 2 }}"),
            "0.5 2.0 3 -4 3.0 2 -2 1.5");
  EXPECT_EQ(R("{{ 2**10 }} {{ 2**-1 }} {{ 2**3**2 }} {{ 2.0**2 }}"), "1024 0.5 64 4.0");
  EXPECT_EQ(
      R("{{ 0.1 + 0.2 }} {{ 1e16 }} {{ 1e15 }} {{ 1.5e-7 }} {{ 0.0001 }} {{ 1e-5 }} {{ 1/3 }}"),
      "0.30000000000000004 1e+16 1000000000000000.0 1.5e-07 0.0001 1e-05 0.3333333333333333");
  EXPECT_EQ(R("{{ true + 1 }} {{ 3 * 'ab' }} {{ [0] * 3 }} {{ [1] + [2] }} {{ -(3) }} {{ +4 }}"),
            "2 ababab [0, 0, 0] [1, 2] -3 4");
  EXPECT_EQ(R("{{ 1 ~ 'a' ~ none ~ 2.0 ~ x }}"), "1aNone2.0");
}

TEST(Jinja, ComparisonsAndLogic) {
  EXPECT_EQ(R("{{ 1 < 2 < 3 }} {{ 3 > 2 > 2 }} {{ 1 == 1.0 }} {{ 'a' != 'b' }} {{ [1, 2] == [1, 2] "
              "}} {{ 'b' >= 'a' }}"),
            "True False True True True True");
  EXPECT_EQ(R("{{ 'a' in 'abc' }} {{ 2 not in [1] }} {{ 'k' in {'k': 1} }} {{ not 1 == 2 }}"),
            "True True True True");
  EXPECT_EQ(R("{{ 0 or 'x' }} {{ 1 and 0 }} {{ none or [] }} {{ 'a' and 'b' }}"), "x 0 [] b");
  EXPECT_EQ(R("{{ 'y' if true else 'n' }}{{ 'y' if false }}|{{ 'a' if 0 else 'b' if 1 else 'c' }}"),
            "y|b");
}

TEST(Jinja, UndefinedSemantics) {
  EXPECT_EQ(R("[{{ x }}] {{ x is defined }} {{ x is undefined }} {{ x | default('d') }} {{ x | "
              "length }}"),
            "[] False True d 0");
  EXPECT_EQ(R("{% for i in x %}no{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(R("[{{ d.missing }}][{{ d['missing'] }}][{{ n.attr }}][{{ l[5] }}]",
              {{"d", json::object()}, {"n", nullptr}, {"l", json::array()}}),
            "[][][][]");
  EXPECT_EQ(R("{{ d.missing is defined }} {{ x == y }}", {{"d", json::object()}}), "False True");
  TemplateError e = E("{{ x.y }}");
  EXPECT_NE(std::string(e.what()).find("'x' is undefined"), std::string::npos) << e.what();
  E("{{ x + 1 }}");
  E("{{ x() }}");
}

TEST(Jinja, IfElifElse) {
  const char* t = "{% if n == 1 %}one{% elif n == 2 %}two{% else %}many{% endif %}";
  EXPECT_EQ(R(t, {{"n", 1}}), "one");
  EXPECT_EQ(R(t, {{"n", 2}}), "two");
  EXPECT_EQ(R(t, {{"n", 3}}), "many");
}

TEST(Jinja, ForLoopVariables) {
  EXPECT_EQ(R("{% for x in ['a','b','c'] %}{{ loop.index }}{{ loop.index0 }}{{ loop.revindex }}{{ "
              "loop.revindex0 }}"
              "{{ loop.first }}{{ loop.last }}{{ loop.length }}|{% endfor %}"),
            "1032TrueFalse3|2121FalseFalse3|3210FalseTrue3|");
  EXPECT_EQ(R("{% for x in [1,2,3] %}{{ loop.previtem }}-{{ loop.nextitem }}{{ loop.cycle('o','e') "
              "}} {% endfor %}"),
            "-2o 1-3e 2-o ");
  EXPECT_EQ(R("{% for x in range(10) if x is odd %}{{ loop.index }}:{{ x }}/{{ loop.length }} {% "
              "endfor %}"),
            "1:1/5 2:3/5 3:5/5 4:7/5 5:9/5 ");
  EXPECT_EQ(R("{% for x in [] %}a{% else %}empty{% endfor %}"), "empty");
  EXPECT_EQ(R("{% for k, v in {'a': 1, 'b': 2}.items() %}{{ k }}={{ v }};{% endfor %}"),
            "a=1;b=2;");
  EXPECT_EQ(R("{% for k in {'a': 1, 'b': 2} %}{{ k }}{% endfor %}{% for c in 'hé' %}[{{ c }}]{% "
              "endfor %}"),
            "ab[h][é]");
  EXPECT_EQ(R("{% for (a, b) in [[1, 2], [3, 4]] %}{{ a + b }} {% endfor %}"), "3 7 ");
  EXPECT_EQ(R("{% for x in range(10) %}{% if x == 2 %}{% continue %}{% endif %}{% if x == 4 %}{% "
              "break %}{% endif %}{{ x }}{% endfor %}"),
            "013");
  EXPECT_EQ(R("{% for i in [1, 2] %}{% for j in [1, 2] %}{{ loop.index }}{% endfor %}{{ loop.index "
              "}} {% endfor %}"),
            "121 122 ");
}

TEST(Jinja, ScopingAndNamespace) {
  EXPECT_EQ(R("{% set x = 1 %}{% for i in [1] %}{% set x = 2 %}{{ x }}{% endfor %}{{ x }}"), "21");
  EXPECT_EQ(R("{% set x = 1 %}{% if true %}{% set x = 2 %}{% endif %}{{ x }}"), "2");
  EXPECT_EQ(R("{% set ns = namespace(n=0, s='') %}{% for i in range(4) %}{% set ns.n = ns.n + i "
              "%}{% set ns.s = ns.s ~ i %}{% endfor %}"
              "{{ ns.n }} {{ ns.s }}"),
            "6 0123");
  EXPECT_EQ(R("{% set a, b = 1, 2 %}{{ b }}{{ a }}"), "21");
  EXPECT_EQ(R("{% set s %}ab{{ 1 }}{% endset %}{{ s }}|{% set t | upper %}cd{% endset %}{{ t }}"),
            "ab1|CD");
  EXPECT_EQ(R("{% with a = 1, b = 2 %}{{ a + b }}{% endwith %}[{{ a }}]"), "3[]");
  TemplateError e = E("{% set x = 1 %}{% set x.y = 2 %}");
  EXPECT_NE(std::string(e.what()).find("namespace"), std::string::npos);
}

TEST(Jinja, MacrosAndCall) {
  EXPECT_EQ(R("{% macro greet(name, greeting='Hello') %}{{ greeting }}, {{ name }}!{% endmacro %}"
              "{{ greet('Bob') }} {{ greet('Al', greeting='Hi') }} {{ greet(greeting='Yo', "
              "name='Cy') }}"),
            "Hello, Bob! Hi, Al! Yo, Cy!");
  EXPECT_EQ(R("{% macro m(a, b) %}[{{ a }}|{{ b }}|{{ b is defined }}]{% endmacro %}{{ m(1) }}"),
            "[1||False]");
  EXPECT_EQ(R("{% macro wrap() %}[{{ caller() }}]{% endmacro %}{% call wrap() %}in{% endcall %}"),
            "[in]");
  EXPECT_EQ(R("{% macro each(xs) %}{% for x in xs %}{{ caller(x) }}{% endfor %}{% endmacro %}{% "
              "call(v) each([1, 2]) %}<{{ v }}>{% endcall %}"),
            "<1><2>");
  EXPECT_EQ(R("{% macro fact(n) %}{% if n <= 1 %}1{% else %}{{ n * fact(n - 1) | int }}{% endif "
              "%}{% endmacro %}{{ fact(5) }}"),
            "120");
  EXPECT_EQ(R("{% set g = 'G' %}{% macro m() %}{{ g }}{% endmacro %}{{ m() }}"), "G");
  E("{% macro m(a) %}{% endmacro %}{{ m(1, 2) }}");
}

TEST(Jinja, FilterBlockAndRaw) {
  EXPECT_EQ(R("{% filter upper %}ab{{ 'c' }}{% endfilter %}"), "ABC");
  EXPECT_EQ(R("{% filter replace('a', 'b') | upper %}aa{% endfilter %}"), "BB");
  EXPECT_EQ(R("{% raw %}{{ x }}{% if %}{% endraw %}!"), "{{ x }}{% if %}!");
  EXPECT_EQ(R("{% generation %}g{% endgeneration %}"), "g");
}

TEST(Jinja, WhitespaceControl) {
  EXPECT_EQ(R("a  {%- if true -%}  b  {%- endif -%}  c"), "abc");
  EXPECT_EQ(R("a  {{- ' x ' -}}  c"), "a x c");
  EXPECT_EQ(R("a {# c #} b|{#- c -#} d"), "a  b|d");
  // trim_blocks: the newline after a block tag goes; after a variable tag it stays.
  EXPECT_EQ(R("{% if true %}\nyes\n{% endif %}\n"), "yes\n");
  EXPECT_EQ(R("{{ 1 }}\n{{ 2 }}"), "1\n2");
  // lstrip_blocks: spaces/tabs before a block or comment tag at line start go.
  EXPECT_EQ(R("a\n    {% if true %}\n    b\n    {% endif %}\nc"), "a\n    b\nc");
  EXPECT_EQ(R("  {% if true %}x{% endif %}"), "x");
  EXPECT_EQ(R("  {{ 1 }}"), "  1");
  EXPECT_EQ(R("a  {% if true %}x{% endif %}"), "a  x");
  EXPECT_EQ(R("  {# c #}\nb"), "b");
  // `+` turns both off.
  EXPECT_EQ(R("{% if true +%}\nx{% endif %}"), "\nx");
  EXPECT_EQ(R("  {%+ if true %}x{% endif %}"), "  x");
  // keep_trailing_newline=False drops one trailing newline; CRLF becomes LF.
  EXPECT_EQ(R("a\n"), "a");
  EXPECT_EQ(R("a\n\n"), "a\n");
  EXPECT_EQ(R("a\r\nb"), "a\nb");
}

TEST(Jinja, AttributeSubscriptSlice) {
  json ctx = {{"m", {{"role", "user"}, {"content", "hi"}}}, {"l", {1, 2, 3, 4, 5}}};
  EXPECT_EQ(R("{{ m.role }} {{ m['content'] }} {{ l[0] }} {{ l[-1] }} {{ l.1 }}", ctx),
            "user hi 1 5 2");
  EXPECT_EQ(R("{{ l[1:4] }} {{ l[::-1] }} {{ l[-2:] }} {{ l[::2] }} {{ l[:-3] }} {{ l[10:] }} {{ "
              "l[4:1:-2] }}",
              ctx),
            "[2, 3, 4] [5, 4, 3, 2, 1] [4, 5] [1, 3, 5] [1, 2] [] [5, 3]");
  EXPECT_EQ(R("{{ 'hello'[1:-1] }} {{ 'héllo'[1] }} {{ 'héllo'[::-1] }} {{ 'abc'[-1] }}"),
            "ell é olléh c");
}

TEST(Jinja, Tests) {
  EXPECT_EQ(R("{{ 3 is odd }} {{ 4 is even }} {{ 9 is divisibleby 3 }} {{ 9 is divisibleby(4) }}"),
            "True True True False");
  EXPECT_EQ(R("{{ true is boolean }} {{ 1 is boolean }} {{ true is number }} {{ true is integer }} "
              "{{ 1 is integer }} {{ 1.0 is float }}"),
            "True False True False True True");
  EXPECT_EQ(R("{{ {} is mapping }} {{ [] is mapping }} {{ 'a' is iterable }} {{ 1 is iterable }} "
              "{{ 'a' is sequence }} {{ 'a' is string }}"),
            "True False True False True True");
  EXPECT_EQ(R("{{ none is none }} {{ 0 is none }} {{ false is false }} {{ 0 is false }} {{ true is "
              "true }}"),
            "True False True False True");
  EXPECT_EQ(R("{{ 2 is eq 2 }} {{ 2 is equalto 3 }} {{ none is sameas none }} {{ 1 is sameas true "
              "}} {{ x is not defined }}"),
            "True False True False True");
  EXPECT_EQ(R("{{ 'abc' is lower }} {{ 'ABC' is upper }} {{ 2 is in [1, 2] }} {{ 3 is gt 2 }}"),
            "True True True True");
}

TEST(Jinja, Tojson) {
  EXPECT_EQ(R("{{ {'a': [1, 2.5, none, true], 'b': 'é\"\\n\\t', 'c': {}} | tojson }}"),
            "{\"a\": [1, 2.5, null, true], \"b\": \"é\\\"\\n\\t\", \"c\": {}}");
  EXPECT_EQ(R("{{ {'a': [1, {}], 'b': [], 'c': 'x'} | tojson(indent=2) }}"),
            "{\n  \"a\": [\n    1,\n    {}\n  ],\n  \"b\": [],\n  \"c\": \"x\"\n}");
  EXPECT_EQ(R("{{ {'b': 1, 'a': 2} | tojson(sort_keys=true) }}"), "{\"a\": 2, \"b\": 1}");
  EXPECT_EQ(R("{{ t | tojson }}", {{"t", {{"z", 1}, {"a", {{"y", 2}, {"b", 3}}}}}}),
            "{\"z\": 1, \"a\": {\"y\": 2, \"b\": 3}}");
  EXPECT_EQ(R("{{ '\\x01' | tojson }} {{ 1.0 | tojson }} {{ 10000000000000000.0 | tojson }}"),
            "\"\\u0001\" 1.0 1e+16");
  E("{{ x | tojson }}");
}

TEST(Jinja, StringFilters) {
  EXPECT_EQ(R("[{{ '  x  ' | trim }}][{{ 'xxaxx' | trim('x') }}] {{ 'héllo' | length }} {{ [1, 2] "
              "| count }}"),
            "[x][a] 5 2");
  EXPECT_EQ(R("{{ 'aXbX' | replace('X', '-') }} {{ 'aXbX' | replace('X', '-', 1) }} {{ 'AbC' | "
              "lower }} {{ 'abé' | upper }}"),
            "a-b- a-bX abc ABÉ");
  EXPECT_EQ(R("{{ 'hello wORLD-x' | title }} {{ 'hELLO there' | capitalize }}"),
            "Hello World-X Hello there");
  EXPECT_EQ(R("{{ 'a\\nb\\n\\nc' | indent(2) }}|{{ 'a\\nb' | indent(2, true) }}|{{ 'a\\n\\nb' | "
              "indent(1, blank=true) }}"),
            "a\n  b\n\n  c|  a\n  b|a\n \n b");
  EXPECT_EQ(R("{{ '<a href=\"x\">&\\'' | e }} {{ '<b>' | safe }}"),
            "&lt;a href=&#34;x&#34;&gt;&amp;&#39; <b>");
  EXPECT_EQ(R("{{ 'hello big  world' | wordcount }} {{ 3 | string ~ 'x' }}"), "3 3x");
}

TEST(Jinja, SequenceFilters) {
  json ctx = {{"ms",
               {{{"role", "user"}, {"c", "a"}},
                {{"role", "bot"}, {"c", "b"}},
                {{"role", "user"}, {"c", "c"}}}}};
  EXPECT_EQ(
      R("{{ [1, 2, 3] | join('-') }} {{ ['a', 'b'] | join }} {{ ms | map(attribute='c') | join }}",
        ctx),
      "1-2-3 ab abc");
  EXPECT_EQ(R("{{ ['a', 'b'] | map('upper') | list }} {{ [1, 2, 3, 4] | select('odd') | list }} {{ "
              "[1, 2, 3, 4] | reject('odd') | list }}"),
            "['A', 'B'] [1, 3] [2, 4]");
  EXPECT_EQ(R("{{ ms | selectattr('role', 'equalto', 'user') | map(attribute='c') | join }} "
              "{{ ms | rejectattr('role', 'eq', 'user') | map(attribute='c') | join }} {{ [0, 1, "
              "'', 'x'] | select | list }}",
              ctx),
            "ac b [1, 'x']");
  EXPECT_EQ(R("{{ [1, 2, 1, 3] | unique | list }} {{ [1, 2, 3] | reverse | list }} {{ 'abc' | "
              "reverse }}"),
            "[1, 2, 3] [3, 2, 1] cba");
  EXPECT_EQ(
      R("{{ [3, 1, 2] | sort }} {{ ['b', 'A', 'c'] | sort }} {{ [1, 3, 2] | sort(reverse=true) }} "
        "{{ ms | sort(attribute='c', reverse=true) | map(attribute='c') | join }}",
        ctx),
      "[1, 2, 3] ['A', 'b', 'c'] [3, 2, 1] cba");
  EXPECT_EQ(R("{{ {'b': 1, 'a': 2} | dictsort }} {{ {'b': 1, 'a': 2} | dictsort(by='value') }} {{ "
              "{'a': 1} | items | list }}"),
            "[('a', 2), ('b', 1)] [('b', 1), ('a', 2)] [('a', 1)]");
  EXPECT_EQ(
      R("{{ [4, 5] | first }} {{ [4, 5] | last }} {{ 'ab' | list }} {{ [] | first is defined }}"),
      "4 5 ['a', 'b'] False");
}

TEST(Jinja, NumberFilters) {
  EXPECT_EQ(R("{{ '42' | int + 1 }} {{ '3.5' | int }} {{ 'x' | int }} {{ 'x' | int(7) }} {{ 3.9 | "
              "int }} {{ '2.5' | float }} {{ 'x' | float }}"),
            "43 3 0 7 3 2.5 0.0");
  EXPECT_EQ(R("{{ -3 | abs }} {{ -2.5 | abs }} {{ 2.5 | round }} {{ 3.5 | round }} {{ 3.14159 | "
              "round(2) }} {{ 2.1 | round(0, 'ceil') }} {{ 2.9 | round(method='floor') }}"),
            "3 2.5 2.0 4.0 3.14 3.0 2.0");
  EXPECT_EQ(R("{{ [1, 2, 3] | sum }} {{ [3, 1] | max }} {{ [3, 1] | min }}"), "6 3 1");
  EXPECT_EQ(R("{{ x | default('d') }}|{{ '' | default('d') }}|{{ '' | default('d', true) }}|{{ "
              "none | d('n', boolean=true) }}"),
            "d||d|n");
}

TEST(Jinja, StringMethods) {
  EXPECT_EQ(R("{{ 'abc'.startswith('ab') }} {{ 'abc'.endswith('bc') }} {{ 'abc'.startswith(('x', "
              "'a')) }}"),
            "True True True");
  EXPECT_EQ(R("{{ 'a,b,,c'.split(',') }} {{ '  a  b '.split() }} {{ 'a b c'.split(' ', 1) }} {{ 'a "
              "b  c'.split(none, 1) }}"),
            "['a', 'b', '', 'c'] ['a', 'b'] ['a', 'b c'] ['a', 'b  c']");
  EXPECT_EQ(R("[{{ ' x '.strip() }}][{{ 'xxaxx'.strip('x') }}][{{ '\\n\\na\\n'.lstrip('\\n') "
              "}}][{{ 'a  '.rstrip() }}][{{ 'xa'.lstrip('x') }}]"),
            "[x][a][a\n][a][a]");
  EXPECT_EQ(R("{{ 'aaa'.replace('a', 'b', 2) }} {{ 'hello world'.title() }} {{ 'Ab'.upper() }}{{ "
              "'Ab'.lower() }}"),
            "bba Hello World ABab");
  EXPECT_EQ(R("{{ 'hello'.find('l') }} {{ 'hello'.find('z') }} {{ 'hello'.count('l') }} {{ "
              "'-'.join(['a', 'b']) }} {{ 'ab'.rfind('b') }}"),
            "2 -1 2 a-b 1");
  EXPECT_EQ(R("{{ '{} and {}'.format(1, 'b') }} {{ '{1}{0}'.format('a', 'b') }} {{ "
              "'{x}!'.format(x=3) }} {{ '{:.2f}'.format(3.14159) }} {{ '{:>4}'.format('a') }}"),
            "1 and b ba 3! 3.14    a");
  EXPECT_EQ(R("{{ '%s is %d' % ('x', 3) }} {{ '%.2f' % 3.14159 }} {{ '%05d' % 42 }} {{ '%s' % "
              "'one' }} {{ '%r' % 'q' }} {{ '100%%' % () }} {{ '%-3s|' % 'a' }}"),
            "x is 3 3.14 00042 one 'q' 100% a  |");
}

TEST(Jinja, DictMethodsAndGlobals) {
  json ctx = {{"d", {{"a", 1}, {"b", 2}}}};
  EXPECT_EQ(R("{{ d.keys() | list }} {{ d.values() | list }} {{ d.items() | list }} {{ d.get('a') "
              "}} {{ d.get('z', 'dflt') }} {{ d.get('z') }}",
              ctx),
            "['a', 'b'] [1, 2] [('a', 1), ('b', 2)] 1 dflt None");
  EXPECT_EQ(R("{{ range(3) | list }} {{ range(1, 10, 3) | list }} {{ range(3, 0, -1) | list }} {{ "
              "dict(a=1, b='x') }}"),
            "[0, 1, 2] [1, 4, 7] [3, 2, 1] {'a': 1, 'b': 'x'}");
  EXPECT_EQ(R("{{ strftime_now('%Y-%m-%d %H:%M') }} {{ strftime_now('%d %B %Y') }}"),
            "2024-01-02 13:05 02 January 2024");
  TemplateError e =
      E("line one\n{{ raise_exception('Only user and assistant roles are supported!') }}");
  EXPECT_EQ(e.detail(), "Only user and assistant roles are supported!");
  EXPECT_EQ(e.line(), 2);
  EXPECT_NE(std::string(e.what()).find("line 2"), std::string::npos);
  E("{{ [1].append(2) }}");
}

TEST(Jinja, ErrorPositions) {
  TemplateError e = E("{{ 1 }}\n  {{ x.y }}");
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.column(), 7);  // the '.' of x.y
  e = E("{% if true %}\n{{ 1 + }}\n{% endif %}");
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.column(), 8);  // the '}}' where an operand was expected
  e = E("{% for x in y %}\nabc");
  EXPECT_NE(std::string(e.what()).find("endfor"), std::string::npos);
  e = E("ab\n{{ 'unterminated }}");
  EXPECT_EQ(e.line(), 2);
  EXPECT_EQ(e.column(), 4);
  e = E("{{ 1 | nosuchfilter }}");
  EXPECT_NE(std::string(e.what()).find("nosuchfilter"), std::string::npos);
  EXPECT_EQ(e.column(), 8);
  E("{% include 'x.html' %}");
  E("{% break %}");
  E("{{ 1 / 0 }}");
  E("{{ 9223372036854775807 + 1 }}");
  E("{{ 1 < 'a' }}");
  E("{{ 'a' + 1 }}");
  E("{% for a, b in [1] %}{% endfor %}");
  E("{#");
  E("{{");
  E("{% if %}");
}

TEST(Jinja, UntrustedInputBounds) {
  Limits small;
  small.max_loop_iterations = 1000;
  small.max_steps = 100000;
  small.max_output_bytes = 1 << 20;
  small.max_items = 10000;
  small.max_call_depth = 16;
  EXPECT_NE(
      std::string(
          E("{% for i in range(100) %}{% for j in range(100) %}{% endfor %}{% endfor %}", {}, small)
              .what())
          .find("loop iterations"),
      std::string::npos);
  EXPECT_NE(std::string(E("{% macro f(n) %}{{ f(n) }}{% endmacro %}{{ f(1) }}", {}, small).what())
                .find("nest deeper"),
            std::string::npos);
  E("{% for i in range(100) %}{{ 'x' * 100000 }}{% endfor %}", {}, small);
  E("{% set ns = namespace(s='x') %}{% for i in range(64) %}{% set ns.s = ns.s ~ ns.s %}{% endfor "
    "%}",
    {}, small);
  E("{{ range(100000000) | length }}", {}, small);
  E("{{ [1] * 100000000 }}", {}, small);
  E("{% set ns = namespace(x=[]) %}{% for i in range(999) %}{% set ns.x = [ns.x] %}{% endfor %}",
    {}, small);
  Limits steps;
  steps.max_steps = 5000;
  EXPECT_NE(
      std::string(E("{% for i in range(900) %}{{ i }}{{ i }}{{ i }}{% endfor %}", {}, steps).what())
          .find("steps"),
      std::string::npos);
  // Deep nesting is refused by the parser instead of overflowing the stack.
  EXPECT_NE(std::string(
                E("{{ " + std::string(100000, '(') + "1" + std::string(100000, ')') + " }}").what())
                .find("nests deeper"),
            std::string::npos);
  E("{{ " + std::string(100000, '[') + " }}");
  std::string ifs;
  for (int i = 0; i < 5000; ++i) ifs += "{% if true %}";
  E(ifs);
  E("{{ " + std::string(50000, '-') + "1 }}");
  E("{{ " +
    [] {
      std::string s;
      for (int i = 0; i < 50000; ++i) s += "not ";
      return s;
    }() +
    "1 }}");
  // A namespace holding itself renders and is released (LeakSanitizer checks the latter).
  EXPECT_EQ(R("{% set ns = namespace() %}{% set ns.me = ns %}{% set ns.l = [ns] %}{{ ns.me.me is "
              "defined }}"),
            "True");
  // Deep JSON input is refused, not recursed into without bound.
  json deep = json::array();
  for (int i = 0; i < 1000; ++i) deep = json::array({deep});
  EXPECT_THROW(R("{{ x }}", {{"x", deep}}), TemplateError);
}

// What a template from a downloaded GGUF can make a render hold, under the default limits (issue
// 16). Each of these exhausted memory before: list repetition copied the string per item,
// printing or tojson of such a list built the whole text before any limit looked at it, and a
// loop could keep up to ~80 strings of 64 MB alive (only the step limit bounded it).
TEST(Jinja, RepetitionAndConcatenationAreBoundedByTheDefaultLimits) {
  auto error = [](const std::string& src) { return std::string(E(src).what()); };
  const std::string big = "{% set s = 'x' * 1000000 %}";
  // A million references to one 1 MB string print to 1 TB.
  EXPECT_NE(error(big + "{{ [s] * 1000000 }}").find("more than 67108864 bytes"), std::string::npos);
  EXPECT_NE(error(big + "{{ ([s] * 1000000) | tojson }}").find("grows past 67108864 bytes"),
            std::string::npos);
  EXPECT_NE(error(big + "{{ ([s] * 1000000) | join }}").find("67108864 bytes"), std::string::npos);
  EXPECT_NE(error(big + "{{ ([s] * 1000000) ~ '' }}").find("67108864 bytes"), std::string::npos);
  EXPECT_NE(error("{{ 'x' * 10**9 }}").find("output limit"), std::string::npos);
  // Strings of 60 MB kept alive in a list, one per iteration: 100 of them would be 6 GB.
  EXPECT_NE(error("{% set ns = namespace(l=[]) %}{% set s = 'x' * 60000000 %}"
                  "{% for i in range(100) %}{% set ns.l = ns.l + [s ~ i] %}{% endfor %}"
                  "{{ ns.l | length }}")
                .find("memory budget"),
            std::string::npos);
  // The same through string `+` and through captured blocks.
  EXPECT_NE(error("{% set ns = namespace(l=[]) %}{% set s = 'x' * 60000000 %}"
                  "{% for i in range(100) %}{% set ns.l = ns.l + [s + 'y'] %}{% endfor %}")
                .find("memory budget"),
            std::string::npos);
  EXPECT_NE(error("{% set ns = namespace(l=[]) %}{% set s = 'x' * 60000000 %}"
                  "{% for i in range(100) %}{% set b %}{{ s }}{% endset %}"
                  "{% set ns.l = ns.l + [b] %}{% endfor %}")
                .find("memory budget"),
            std::string::npos);
}

TEST(Jinja, SharedStringsMakeRepetitionCheapAndTheBudgetFitsRealPrompts) {
  // A thousand references to a 1 MB string are a thousand pointers.
  EXPECT_EQ(R("{% set s = 'x' * 1000000 %}{% set l = [s] * 1000 %}{{ l | length }} "
              "{{ l[999] | length }}"),
            "1000 1000000");
  // A 1 MB prompt built in 1000 pieces with `+` (quadratic copying, ~500 MB) stays under the
  // default budget.
  EXPECT_EQ(R("{% set ns = namespace(s='') %}{% set piece = 'y' * 1000 %}"
              "{% for i in range(1000) %}{% set ns.s = ns.s + piece %}{% endfor %}"
              "{{ ns.s | length }}")
                .size(),
            7u);
  Limits tight;
  tight.max_bytes_built = 1 << 20;
  EXPECT_NE(std::string(E("{{ 'x' * 600000 }}{{ 'y' * 600000 }}", {}, tight).what())
                .find("memory budget"),
            std::string::npos);
}

TEST(Jinja, ErrorsAreJunctionErrors) {
  try {
    R("{{ x.y }}");
    FAIL();
  } catch (const junction::Error& e) {
    EXPECT_NE(std::string(e.what()).find("line 1, column"), std::string::npos) << e.what();
  }
}

}  // namespace
}  // namespace junction::jinja
