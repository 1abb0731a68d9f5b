// Python string formatting (see format.h).
#include "chat/jinja/format.h"

#include <cmath>
#include <cstdio>

#include "chat/jinja/error.h"
#include "chat/jinja/pystr.h"

namespace junction::jinja {
namespace {

struct Spec {
  char fill = ' ';
  char align = 0;  // < > ^ =
  char sign = '-';
  bool alt = false;
  bool zero = false;
  int width = -1;
  int precision = -1;
  char type = 0;
};

std::string pad(std::string s, const Spec& sp, char default_align) {
  char align = sp.align ? sp.align : default_align;
  int64_t len = static_cast<int64_t>(pystr::length(s));
  if (sp.width <= len) return s;
  size_t n = static_cast<size_t>(sp.width - len);
  if (align == '<') return s + std::string(n, sp.fill);
  if (align == '^') return std::string(n / 2, sp.fill) + s + std::string(n - n / 2, sp.fill);
  if (align == '=' && !s.empty() && (s[0] == '-' || s[0] == '+' || s[0] == ' '))
    return s.substr(0, 1) + std::string(n, sp.fill) + s.substr(1);
  return std::string(n, sp.fill) + s;
}

std::string format_number(const Value& v, Spec sp) {
  char type = sp.type;
  std::string body;
  bool negative = false;
  if (type == 0) type = v.is_float() ? 'r' : 'd';
  if (type == 'd' || type == 'i' || type == 'x' || type == 'X' || type == 'o' || type == 'b') {
    int64_t x;
    if (v.is_float()) {
      if (type != 'd' && type != 'i') throw ValueError("format code for float");
      x = static_cast<int64_t>(std::trunc(v.as_float()));
    } else {
      x = v.to_int();
    }
    negative = x < 0;
    uint64_t u = negative ? 0 - static_cast<uint64_t>(x) : static_cast<uint64_t>(x);
    if (type == 'd' || type == 'i') {
      body = std::to_string(u);
    } else if (type == 'b') {
      if (u == 0) body = "0";
      while (u) body.insert(body.begin(), static_cast<char>('0' + (u & 1))), u >>= 1;
    } else {
      char buf[32];
      std::snprintf(buf, sizeof(buf),
                    type == 'x'   ? "%llx"
                    : type == 'X' ? "%llX"
                                  : "%llo",
                    static_cast<unsigned long long>(u));
      body = buf;
    }
  } else if (type == 'r') {
    double d = v.to_double();
    negative = std::signbit(d) && !std::isnan(d);
    body = float_repr(std::fabs(d));
  } else if (type == 'f' || type == 'F' || type == 'e' || type == 'E' || type == 'g' ||
             type == 'G' || type == '%') {
    double d = v.to_double();
    negative = std::signbit(d) && !std::isnan(d);
    double a = std::fabs(d);
    int prec = sp.precision < 0 ? 6 : std::min(sp.precision, 100);
    char buf[512];
    if (type == '%') {
      std::snprintf(buf, sizeof(buf), "%.*f%%", prec, a * 100);
    } else {
      char f[8] = {'%', '.', '*', type, 0};
      std::snprintf(buf, sizeof(buf), f, prec, a);
    }
    body = buf;
    if (std::isinf(a)) body = (type >= 'a') ? "inf" : "INF";
    if (std::isnan(d)) body = (type >= 'a') ? "nan" : "NAN";
  } else {
    throw ValueError(std::string("unsupported format character '") + type + "'");
  }
  std::string sign = negative ? "-" : (sp.sign == '+' ? "+" : (sp.sign == ' ' ? " " : ""));
  if (sp.zero && sp.align == 0) {
    int64_t need = sp.width - static_cast<int64_t>(sign.size() + body.size());
    if (need > 0) body = std::string(need, '0') + body;
  }
  return pad(sign + body, sp, '>');
}

std::string format_value(const Value& v, const Spec& sp) {
  if (sp.type == 's' || (sp.type == 0 && !v.is_number()) || (sp.type == 0 && v.is_bool())) {
    if (!v.is_string() && sp.type == 's' && v.is_number() && !v.is_bool()) {
      // format(3, 's') is an error in Python; be lenient and print str().
    }
    std::string s = v.str();
    if (sp.precision >= 0) {
      auto off = pystr::code_point_offsets(s);
      if (static_cast<size_t>(sp.precision) + 1 < off.size()) s = s.substr(0, off[sp.precision]);
    }
    return pad(s, sp, '<');
  }
  if (!v.is_number())
    throw ValueError("unknown format code '" + std::string(1, sp.type) + "' for object of type '" +
                     v.type_name() + "'");
  return format_number(v, sp);
}

Spec parse_spec(const std::string& s) {
  Spec sp;
  size_t i = 0;
  if (s.size() >= 2 && (s[1] == '<' || s[1] == '>' || s[1] == '^' || s[1] == '=')) {
    sp.fill = s[0], sp.align = s[1], i = 2;
  } else if (!s.empty() && (s[0] == '<' || s[0] == '>' || s[0] == '^' || s[0] == '=')) {
    sp.align = s[0], i = 1;
  }
  if (i < s.size() && (s[i] == '+' || s[i] == '-' || s[i] == ' ')) sp.sign = s[i++];
  if (i < s.size() && s[i] == '#') sp.alt = true, ++i;
  if (i < s.size() && s[i] == '0') sp.zero = true, ++i;
  if (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i]))) {
    sp.width = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      sp.width = std::min(sp.width * 10 + (s[i++] - '0'), 100000);
  }
  if (i < s.size() && s[i] == ',') ++i;
  if (i < s.size() && s[i] == '.') {
    ++i;
    sp.precision = 0;
    while (i < s.size() && std::isdigit(static_cast<unsigned char>(s[i])))
      sp.precision = std::min(sp.precision * 10 + (s[i++] - '0'), 100000);
  }
  if (i < s.size()) sp.type = s[i++];
  if (i != s.size()) throw ValueError("invalid format specifier '" + s + "'");
  return sp;
}

}  // namespace

std::string percent_format(const std::string& fmt, const Value& args) {
  std::vector<Value> list;
  const Object* mapping = nullptr;
  if (args.is_array() && args.as_array().is_tuple) {
    list = args.as_array().items;
  } else if (args.is_object()) {
    mapping = &args.as_object();
  } else {
    list.push_back(args);
  }
  size_t next = 0;
  std::string out;
  for (size_t i = 0; i < fmt.size(); ++i) {
    if (fmt[i] != '%') {
      out += fmt[i];
      continue;
    }
    if (++i >= fmt.size()) throw ValueError("incomplete format");
    const Value* key_value = nullptr;
    if (fmt[i] == '(') {
      size_t close = fmt.find(')', i);
      if (close == std::string::npos || !mapping) throw ValueError("format requires a mapping");
      key_value = mapping->map.find(fmt.substr(i + 1, close - i - 1));
      if (!key_value)
        throw ValueError("key '" + fmt.substr(i + 1, close - i - 1) +
                         "' missing in format mapping");
      i = close + 1;
      if (i >= fmt.size()) throw ValueError("incomplete format");
    }
    Spec sp;
    for (; i < fmt.size(); ++i) {
      char c = fmt[i];
      if (c == '-')
        sp.align = '<';
      else if (c == '+')
        sp.sign = '+';
      else if (c == ' ')
        sp.sign = sp.sign == '+' ? '+' : ' ';
      else if (c == '0')
        sp.zero = true;
      else if (c == '#')
        sp.alt = true;
      else
        break;
    }
    if (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i]))) {
      sp.width = 0;
      while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i])))
        sp.width = std::min(sp.width * 10 + (fmt[i++] - '0'), 100000);
    }
    if (i < fmt.size() && fmt[i] == '.') {
      ++i;
      sp.precision = 0;
      while (i < fmt.size() && std::isdigit(static_cast<unsigned char>(fmt[i])))
        sp.precision = std::min(sp.precision * 10 + (fmt[i++] - '0'), 100000);
    }
    if (i >= fmt.size()) throw ValueError("incomplete format");
    char type = fmt[i];
    if (type == '%') {
      out += '%';
      continue;
    }
    const Value* v = key_value;
    if (!v) {
      if (next >= list.size()) throw ValueError("not enough arguments for format string");
      v = &list[next++];
    }
    if (sp.zero && sp.align == '<') sp.zero = false;
    if (type == 's' || type == 'r' || type == 'a') {
      std::string s = type == 's' ? v->str() : v->repr();
      if (sp.precision >= 0) {
        auto off = pystr::code_point_offsets(s);
        if (static_cast<size_t>(sp.precision) + 1 < off.size()) s = s.substr(0, off[sp.precision]);
      }
      out += pad(s, sp, '>');
    } else if (type == 'c') {
      std::string s;
      if (v->is_int()) {
        if (v->as_int() < 0 || v->as_int() > 0x10FFFF) throw ValueError("%c arg not in range");
        pystr::append_utf8(s, static_cast<uint32_t>(v->as_int()));
      } else {
        s = v->str();
      }
      out += pad(s, sp, '>');
    } else {
      if (!v->is_number())
        throw ValueError(std::string("%") + type + " format: a real number is required, not " +
                         v->type_name());
      if (type == 'i' || type == 'u') type = 'd';
      sp.type = type;
      if (type == 'd' && v->is_float()) {
        sp.type = 'd';
      }
      out += format_number(*v, sp);
    }
  }
  if (!mapping && next < list.size())
    throw ValueError("not all arguments converted during string formatting");
  return out;
}

std::string str_format(const std::string& fmt, const CallArgs& args) {
  std::string out;
  size_t auto_index = 0;
  for (size_t i = 0; i < fmt.size(); ++i) {
    char c = fmt[i];
    if (c == '}') {
      if (i + 1 < fmt.size() && fmt[i + 1] == '}') {
        out += '}', ++i;
        continue;
      }
      throw ValueError("Single '}' encountered in format string");
    }
    if (c != '{') {
      out += c;
      continue;
    }
    if (i + 1 < fmt.size() && fmt[i + 1] == '{') {
      out += '{', ++i;
      continue;
    }
    size_t close = fmt.find('}', i);
    if (close == std::string::npos) throw ValueError("Single '{' encountered in format string");
    std::string field = fmt.substr(i + 1, close - i - 1);
    i = close;
    std::string spec;
    size_t colon = field.find(':');
    if (colon != std::string::npos) spec = field.substr(colon + 1), field = field.substr(0, colon);
    char conversion = 0;
    size_t bang = field.find('!');
    if (bang != std::string::npos) {
      if (bang + 2 != field.size()) throw ValueError("invalid conversion");
      conversion = field[bang + 1];
      field = field.substr(0, bang);
    }
    const Value* v = nullptr;
    if (field.empty()) {
      if (auto_index >= args.positional.size())
        throw ValueError("Replacement index " + std::to_string(auto_index) +
                         " out of range for positional args tuple");
      v = &args.positional[auto_index++];
    } else if (std::isdigit(static_cast<unsigned char>(field[0]))) {
      size_t k = 0;
      for (char d : field) {
        if (!std::isdigit(static_cast<unsigned char>(d)) || k > 100000)
          throw ValueError("invalid field '" + field + "'");
        k = k * 10 + (d - '0');
      }
      if (k >= args.positional.size())
        throw ValueError("Replacement index " + field + " out of range for positional args tuple");
      v = &args.positional[k];
    } else {
      for (const auto& [name, val] : args.keyword) {
        if (name == field) v = &val;
      }
      if (!v) throw ValueError("KeyError: '" + field + "'");
    }
    Value converted;
    if (conversion == 'r' || conversion == 'a')
      converted = Value(v->repr()), v = &converted;
    else if (conversion == 's')
      converted = Value(v->str()), v = &converted;
    out += format_value(*v, parse_spec(spec));
  }
  return out;
}

}  // namespace junction::jinja
