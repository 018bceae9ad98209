// node:events: the `events` npm package (browserify's port of Node's EventEmitter, pinned in
// third_party/npm-packages.txt) as an ES module.
const EventEmitter = __wsupRequire('events');
const {once} = EventEmitter;

export {EventEmitter, once};
export default EventEmitter;
