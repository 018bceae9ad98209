// node:path: the `path-browserify` npm package (Node's POSIX path module, pinned in
// third_party/npm-packages.txt) as an ES module. POSIX is the only flavour: there is no
// path.win32.
const path = __wsupRequire('path');
const {
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
const posix = path;
// A POSIX path has no namespace to add.
const toNamespacedPath = (value) => value;

export {
  resolve,
  normalize,
  isAbsolute,
  join,
  relative,
  toNamespacedPath,
  dirname,
  basename,
  extname,
  format,
  parse,
  sep,
  delimiter,
  posix,
};
export default path;
