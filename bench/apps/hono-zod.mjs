// Benchmark app "hono-zod": a large bundle, Hono with zod validation: ~40 schemas and ~330
// routes, each validating its parameters and query with zod. Hono builds its router on the
// first request and zod compiles schemas lazily, so a cold context pays for both; wsup's
// warm-up (cluster.yaml `warm_up`) runs one request before the snapshot is taken.
import { Hono } from "hono";
import { secureHeaders } from "hono/secure-headers";
import { z } from "zod";

const id = z.coerce.number().int().positive();
const page = z.object({
  page: z.coerce.number().int().min(1).default(1),
  per: z.coerce.number().int().min(1).max(100).default(20),
  order: z.enum(["asc", "desc"]).default("asc"),
});
const money = z.object({ amount: z.number().nonnegative(), currency: z.string().length(3) });
const address = z.object({
  street: z.string().min(1), city: z.string().min(1), zip: z.string().regex(/^[0-9]{5}$/),
  country: z.string().length(2),
});
// Forty resources, each with a schema of its own fields.
const resources = Array.from({ length: 40 }, (_, i) => {
  const name = `r${i}`;
  const schema = z.object({
    id,
    title: z.string().min(1).max(200),
    email: z.string().email().optional(),
    price: money.optional(),
    shipTo: address.optional(),
    tags: z.array(z.string().max(30)).max(10).default([]),
    status: z.enum(["draft", "active", "archived"]).default("active"),
    [`field${i}`]: i % 2 ? z.number().optional() : z.string().optional(),
  });
  return { name, schema };
});
const orders = z.object({
  id, customer: z.object({ id, name: z.string(), email: z.string().email() }),
  lines: z.array(z.object({ sku: z.string(), quantity: z.number().int().positive(), price: money })),
  shipTo: address, status: z.enum(["new", "paid", "shipped", "delivered"]),
});
const expand = z.object({ expand: z.enum(["items", "customer", "all"]).optional() }).merge(page);

const app = new Hono();
app.use("*", secureHeaders());
const sample = (schema, idValue) => ({ id: idValue, title: `item ${idValue}`, tags: ["a"], status: "active" });
for (const { name, schema } of resources) {
  // Eight routes per resource: 320, plus the ones below.
  app.get(`/api/${name}`, (c) => c.json({ resource: name, ...page.parse(c.req.query()) }));
  app.get(`/api/${name}/:id`, (c) => c.json(schema.parse(sample(schema, c.req.param("id")))));
  app.get(`/api/${name}/:id/history`, (c) => c.json({ id: id.parse(c.req.param("id")), history: [] }));
  app.get(`/api/${name}/:id/tags`, (c) => c.json(schema.shape.tags.parse(["x"])));
  app.post(`/api/${name}`, async (c) => c.json(schema.parse(await c.req.json()), 201));
  app.put(`/api/${name}/:id`, async (c) => c.json(schema.parse({ ...(await c.req.json()), id: c.req.param("id") })));
  app.patch(`/api/${name}/:id`, async (c) => c.json(schema.partial().parse(await c.req.json())));
  app.delete(`/api/${name}/:id`, (c) => c.json({ deleted: id.parse(c.req.param("id")) }));
}
app.get("/api/orders/:id", (c) => {
  const query = expand.parse(c.req.query());
  const order = orders.parse({
    id: c.req.param("id"),
    customer: { id: 7, name: "Ada", email: "ada@example.com" },
    lines: [{ sku: "A-1", quantity: 2, price: { amount: 9.5, currency: "EUR" } }],
    shipTo: { street: "1 Main St", city: "Springfield", zip: "12345", country: "US" },
    status: "paid",
  });
  return c.json({ order, query, by: c.req.header("x-bench-user") ?? null });
});
for (let i = 0; i < 10; i++) app.get(`/api/reports/${i}/:from/:to`, (c) => c.json({ report: i, ...c.req.param() }));
app.notFound((c) => c.json({ error: "not found" }, 404));
app.onError((error, c) => c.json({ error: error.message }, error instanceof z.ZodError ? 400 : 500));

addEventListener("fetch", (event) => event.respondWith(app.fetch(event.request)));
