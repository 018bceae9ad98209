// ES module syntax: env carries the vars and secrets named in two-scripts.yaml.
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const body = {
      script: 'api',
      greeting: env.GREETING,
      maxItems: env.MAX_ITEMS,
      echo: env.FEATURES.echo ? url.pathname : null,
      // Never echo a secret: say only whether it is set.
      tokenConfigured: typeof env.API_TOKEN === 'string' && env.API_TOKEN.length > 0,
    };
    return new Response(JSON.stringify(body), {headers: {'content-type': 'application/json'}});
  },
};
