# The layer table: which folders a folder's sources may #include from ("dir/file.h"), the one
# place the layering is declared. cmake/check_layering.cmake (ctest: layering) reads every
# #include "dir/..." of every .h/.cc under the top-level folders against it, and every
# target_link_libraries of their CMakeLists.txt, and fails on an edge the table does not allow.
#
# One line per layer: "<layer> : <layers it may include, directly>". A layer is a folder
# ("tokenizer/chat"), or a file stem when a folder holds more than one library
# ("server/http_server" is server/http_server.h and .cc). A file belongs to the longest layer its
# path starts with: kernels/cpu, kernels/ref and kernels/quant are part of kernels (one
# library, junction_kernels); tokenizer/chat and tokenizer/jinja are their own (junction_chat,
# junction_jinja). A layer may include itself and, in turn, whatever the layers it names may
# include (the check takes the transitive closure), so a line lists a library's direct
# target_link_libraries. "*" allows anything (tests, benchmarks, fuzz targets). A folder of
# sources that has no line fails the check, and so does an include of one.
#
# Written for the tree as it stands; when folders move (http/, chat/, quantize/, session/ of
# issue 15) the lines move with them. The gateway reaches engines over HTTP and never
# includes or links the engine, server, tokenizer or model.
set(JUNCTION_LAYERS
  "core              :"
  "kernels           : core"
  "formats           : core"
  "model             : kernels formats"
  "engine            : model"
  # junction_http lives in server/ until it moves to http/: the HTTP server, API errors and
  # the latency histogram the gateway shares. core/error.h is header-only: no link needed.
  "server/http_server : core"
  "server/api_error   : core"
  "server/histogram   : core"
  "pull              : core"
  # junction_tokenizer links formats; jinja uses core/error.h (header-only) without linking core.
  "tokenizer         : formats core"
  "tokenizer/jinja   : core"
  "tokenizer/chat    : tokenizer/jinja core"
  "server            : engine tokenizer tokenizer/chat server/http_server server/api_error server/histogram"
  "eval              : engine tokenizer tokenizer/chat pull"
  "compare           : pull core"
  "gateway           : core pull server/http_server server/api_error server/histogram"
  "cli               : engine server gateway eval compare pull tokenizer tokenizer/chat"
  "tests             : *"
  "bench             : *"
  "fuzz              : *"
)
