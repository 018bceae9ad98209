export default {
  fetch(request, env) {
    return new Response(`${env.GREETING} ${env.LOG_LEVEL} ${env.API_KEY}\n`);
  },
};
