// An Express 5 app with express-session + connect-redis 7: the Node side of
// tests/integration/redis_session_test.cpp. Shares the secret, the cookie name and
// the Redis prefix with the duet server of that test, so a login on either is a
// login on both. Env: PORT (HTTP), REDIS_PORT. Prints "listening" when ready.
//   POST /login?user=<name>  regenerate, session.user = name, session.n = 1  → {"user"}
//   GET  /me                 {"user", "n"} (n incremented and saved) or 401
//   POST /logout             session destroyed → 204
import express from "express";
import session from "express-session";
import RedisStore from "connect-redis";
import { createClient } from "redis";

const client = createClient({ url: `redis://127.0.0.1:${process.env.REDIS_PORT}` });
await client.connect();

const app = express();
app.use(
  session({
    store: new RedisStore({ client }),
    secret: "keyboard cat",
    name: "connect.sid",
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: 3600 * 1000, sameSite: "lax" },
  }),
);

app.post("/login", (req, res, next) => {
  req.session.regenerate((err) => {
    if (err) return next(err);
    req.session.user = req.query.user;
    req.session.n = 1;
    res.json({ user: req.session.user });
  });
});

app.get("/me", (req, res) => {
  if (!req.session.user) return res.status(401).json({ error: "not logged in" });
  req.session.n = (req.session.n || 0) + 1;
  res.json({ user: req.session.user, n: req.session.n, cookie: req.session.cookie });
});

app.post("/logout", (req, res, next) => {
  req.session.destroy((err) => {
    if (err) return next(err);
    res.clearCookie("connect.sid");
    res.status(204).end();
  });
});

const server = app.listen(Number(process.env.PORT), "127.0.0.1", () => console.log("listening"));
process.on("SIGTERM", async () => {
  server.close();
  await client.quit();
  process.exit(0);
});
