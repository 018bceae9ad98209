// Scenarios 19 and 20: each request fetches env.UPSTREAM (a misbehaving loopback server).
//   /proxy...  returns the upstream's Response as it is: its body streams through to the client
//   /read...   reads the whole body first; a failed read answers 502 naming the error's class
export default {
  async fetch(request, env) {
    const upstream = await fetch(env.UPSTREAM);
    if (new URL(request.url).pathname.startsWith('/proxy')) return upstream;
    try {
      const body = await upstream.arrayBuffer();
      return new Response(`read ${body.byteLength} bytes\n`);
    } catch (error) {
      return new Response(`read failed: ${error.name}: ${error.message}\n`, {status: 502});
    }
  },
};
