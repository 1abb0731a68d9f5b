# Build step of the playground (see cmake/web_assets.cmake): installs web/'s pinned packages
# from its lockfile when they are missing or stale, then bundles it into OUT/dist and
# OUT/web_assets.cc. Run with -DNODE= -DNPM= -DWEB= -DOUT=.
set(_marker ${WEB}/node_modules/.package-lock.json)
if(NOT EXISTS ${_marker} OR ${WEB}/package-lock.json IS_NEWER_THAN ${_marker})
  message(STATUS "web: npm ci in ${WEB}")
  execute_process(COMMAND ${NPM} ci --no-audit --no-fund --loglevel=error
                  WORKING_DIRECTORY ${WEB} RESULT_VARIABLE rc)
  if(NOT rc EQUAL 0)
    message(FATAL_ERROR "web: `npm ci` failed in ${WEB} (offline? the npm registry is needed "
                        "once, to install the packages web/package-lock.json pins)")
  endif()
endif()
execute_process(COMMAND ${NODE} ${WEB}/build.mjs --outdir ${OUT}/dist --cc ${OUT}/web_assets.cc
                RESULT_VARIABLE rc)
if(NOT rc EQUAL 0)
  message(FATAL_ERROR "web: bundling the playground failed")
endif()
