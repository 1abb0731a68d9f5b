# The layer table: which folders a folder's sources may #include from ("dir/file.h"), the one
# place the layering is declared. cmake/check_layering.cmake (ctest: layering) reads every
# #include "dir/..." of every .h/.cc under the top-level folders against it, and every
# target_link_libraries of their CMakeLists.txt, and fails on an edge the table does not allow.
#
# One line per layer: "<layer> : <layers it may include, directly>". A layer is a folder
# ("chat/jinja"), or a file stem when a folder holds more than one library. A file belongs to
# the longest layer its path starts with: kernels/cpu, kernels/ref and kernels/quant are part of
# kernels (one library, junction_kernels); chat/jinja is its own (junction_jinja). A layer may include itself and, in turn, whatever the layers it names may
# include (the check takes the transitive closure), so a line lists a library's direct
# target_link_libraries. "*" allows anything (tests, benchmarks, fuzz targets). A folder of
# sources that has no line fails the check, and so does an include of one.
#
# The gateway and compare reach engines over HTTP and never include or link the engine, server,
# tokenizer or model.
set(JUNCTION_LAYERS
  "core       :"
  "kernels    : core"
  "formats    : core"
  "model      : kernels formats"
  "engine     : model"
  "quantize   : model"
  # junction_http and junction_http_client: the listener, client, URLs, SSE, API errors.
  "http       : core"
  "pull       : http core"
  # junction_tokenizer links formats; jinja and chat use core/error.h (header-only) without
  # linking core.
  "tokenizer  : formats core"
  "chat/jinja : core"
  "chat       : chat/jinja core"
  # api: the client APIs other than OpenAI chat, translated to and from it (JSON only).
  "api        : http core"
  "session    : engine tokenizer chat pull"
  # web: the browser interface's routes (page, bundle, reports folder), HTTP only.
  "web        : http core"
  "server     : http web engine tokenizer chat api"
  "eval       : session http pull"
  "compare    : http core"
  "gateway    : http web core api"
  "cli        : session quantize server gateway eval compare pull"
  "tests      : *"
  "bench      : *"
  "fuzz       : *"
)
