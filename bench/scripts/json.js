// Benchmark scenario "json": reads a request header, parses the URL's query string and
// returns a 20-field JSON document built from them.
addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  const query = url.searchParams;
  const user = request.headers.get("x-bench-user") || "anonymous";
  const id = Number(query.get("id") || "0");
  const document = {
    id,
    user,
    name: query.get("name") || "",
    tags: (query.get("tags") || "").split(",").filter((tag) => tag.length > 0),
    method: request.method,
    path: url.pathname,
    host: url.hostname,
    page: Number(query.get("page") || "1"),
    limit: Number(query.get("limit") || "20"),
    sort: query.get("sort") || "id",
    ascending: query.get("order") !== "desc",
    queryKeys: [...query.keys()].length,
    userLength: user.length,
    idSquared: id * id,
    idHex: id.toString(16),
    even: id % 2 === 0,
    greeting: `Hello, ${user}!`,
    version: 1,
    region: "local",
    nothing: null,
  };
  event.respondWith(
    new Response(JSON.stringify(document), { headers: { "content-type": "application/json" } }),
  );
});
