// node:path: the `path-browserify` npm package (Node's POSIX path module, pinned in
// third_party/npm-packages.txt) as an ES module. POSIX is the only flavour: there is no
// path.win32.
const path = __wsupRequire('path');

export const {
  resolve,
  normalize,
  isAbsolute,
  join,
  relative,
  dirname,
  basename,
  extname,
  format,
  parse,
  sep,
  delimiter,
} = path;
export const posix = path;
// A POSIX path has no namespace to add.
export const toNamespacedPath = (value) => value;
export default path;
