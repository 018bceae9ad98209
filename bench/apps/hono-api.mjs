// Benchmark app "hono-api": a JSON API and a few HTML pages on Hono with the middleware a real
// one carries (secure headers, ETag, request ids, timing, CSRF, body limits, a bearer token on
// admin routes, cookies, server-side JSX, JWT signing). Not CORS: Hono's cors() re-wraps every
// response through Response.body, which builds the streams family in each request (~270 µs,
// docs/PERFORMANCE.md): left out so that these apps measure contexts, not streams. Bundled by
// bench/lib/apps.mjs (esbuild, as `wrangler deploy` bundles) into a service-worker script.
import { Hono } from "hono";
import { etag } from "hono/etag";
import { secureHeaders } from "hono/secure-headers";
import { requestId } from "hono/request-id";
import { bearerAuth } from "hono/bearer-auth";
import { HTTPException } from "hono/http-exception";
import { timing } from "hono/timing";
import { csrf } from "hono/csrf";
import { bodyLimit } from "hono/body-limit";
import { prettyJSON } from "hono/pretty-json";
import { trimTrailingSlash } from "hono/trailing-slash";
import { sign } from "hono/jwt";
import { getCookie, setCookie } from "hono/cookie";
import { html } from "hono/html";
import { jsx } from "hono/jsx";

const users = Array.from({ length: 100 }, (_, i) => ({
  id: i + 1,
  name: `user ${i + 1}`,
  email: `user${i + 1}@example.com`,
  roles: i % 10 === 0 ? ["admin", "user"] : ["user"],
  created: `2024-01-${String((i % 28) + 1).padStart(2, "0")}`,
}));

const app = new Hono();
app.use("*", requestId());
app.use("*", secureHeaders());
app.use("/api/*", etag());
app.use("/api/admin/*", bearerAuth({ token: "bench-token" }));
app.use("*", timing());
app.use("*", trimTrailingSlash());
app.use("/api/*", prettyJSON());
app.use("/form/*", csrf({ origin: "https://example.com" }));
app.use("/api/*", bodyLimit({ maxSize: 64 * 1024 }));

const Layout = (props) =>
  jsx("html", {}, jsx("head", {}, jsx("title", {}, props.title)), jsx("body", {}, props.children));
app.get("/page/:name", (c) => {
  setCookie(c, "seen", String(Number(getCookie(c, "seen") ?? 0) + 1), { httpOnly: true });
  return c.html(jsx(Layout, { title: c.req.param("name") },
    jsx("h1", {}, `Hello ${c.req.param("name")}`),
    jsx("ul", {}, users.slice(0, 5).map((u) => jsx("li", { key: u.id }, u.name)))));
});
app.get("/plain/:name", (c) => c.html(html`<p>${c.req.param("name")}</p>`));
app.get("/token", async (c) => c.json({ token: await sign({ sub: "bench" }, "bench-secret") }));

const api = new Hono();
api.get("/health", (c) => c.json({ ok: true }));
api.get("/users", (c) => {
  const limit = Math.min(Number(c.req.query("limit") ?? 10), 50);
  const offset = Number(c.req.query("offset") ?? 0);
  return c.json({ users: users.slice(offset, offset + limit), total: users.length });
});
api.get("/users/:id{[0-9]+}", (c) => {
  const user = users[Number(c.req.param("id")) - 1];
  if (!user) throw new HTTPException(404, { message: "no such user" });
  const fields = c.req.query("fields")?.split(",");
  const view = fields ? Object.fromEntries(fields.map((f) => [f, user[f]])) : user;
  return c.json({ user: view, by: c.req.header("x-bench-user") ?? null, request: c.get("requestId") });
});
api.get("/users/:id/roles", (c) => c.json(users[Number(c.req.param("id")) - 1]?.roles ?? []));
api.post("/users", async (c) => {
  const body = await c.req.json();
  return c.json({ created: { id: users.length + 1, ...body } }, 201);
});
api.delete("/admin/users/:id", (c) => c.json({ deleted: Number(c.req.param("id")) }));
for (const area of ["orders", "invoices", "products", "carts", "reviews", "tickets"]) {
  api.get(`/${area}`, (c) => c.json({ area, page: Number(c.req.query("page") ?? 1) }));
  api.get(`/${area}/:id`, (c) => c.json({ area, id: c.req.param("id") }));
}
app.route("/api", api);
app.notFound((c) => c.json({ error: "not found" }, 404));
app.onError((error, c) =>
  error instanceof HTTPException ? error.getResponse() : c.json({ error: error.message }, 500));

addEventListener("fetch", (event) => event.respondWith(app.fetch(event.request)));
