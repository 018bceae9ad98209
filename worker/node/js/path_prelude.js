// node:path needs process.cwd() in resolve(): a Worker has no working directory, so it is "/"
// (as on Cloudflare).
const process = Object.freeze({cwd: () => '/'});
