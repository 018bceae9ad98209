// URLPattern (the URL Pattern Standard): the urlpattern-polyfill npm package (pinned in
// third_party/npm-packages.txt; its CommonJS build, byte for byte) between this prelude and
// urlpattern_epilogue.js, joined at build time into urlpattern.js (CMakeLists.txt).
(function(global, natives, internal) {
'use strict';
const module = {
  exports: {}
};
const exports = module.exports;
// The polyfill canonicalizes every component through `new URL(...)`: the original class,
// not the global, which user code may have replaced.
const URL = internal.URL;
