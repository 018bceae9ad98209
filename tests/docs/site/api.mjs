// docs/CONFIG.md's annotated example names this module (scripts[0], "api"): scripts/check-docs
// starts that example, and the commands of docs/OPERATIONS.md run against it. It answers with
// its bindings, and its scheduled() handler is what `wsup trigger api` runs.
export default {
  fetch(request, env) {
    return Response.json({ greeting: env.GREETING, max: env.MAX, beta: env.FLAGS.beta,
                           token: typeof env.TOKEN, path: new URL(request.url).pathname });
  },
  scheduled(controller, env, ctx) {
    console.log(`scheduled ${controller.cron} greeting=${env.GREETING}`);
  },
};
