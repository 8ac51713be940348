// tests/interop/chat_node.mjs — examples/chat written the Node way: Express +
// express-session + connect-redis 7 + socket.io 4.8 + @socket.io/redis-adapter 8.3 on
// one http.Server. With the same Redis, secret and cookie name as `chat --redis ...
// --cookie-name ...` it is one more node of the same chat (chat_cluster.test.mjs).
// The routes, events and rooms are the C++ example's; keep them in step:
//   POST /login {"name"}, POST /logout, GET /me, POST /notify/:name {"text"} → {"delivered"}
//   Socket.IO "/": only for logged-in sessions (else "unauthorized"); joins
//   "user:<name>" and "session:<id>"; join (room, ack true), chat ({room, text}, ack).
// Env: PORT (0 = any), REDIS_PORT, SECRET, COOKIE_NAME. Prints "listening <port>".
import { createServer } from "node:http";
import express from "express";
import session from "express-session";
import RedisStore from "connect-redis";
import { createClient } from "redis";
import { Server } from "socket.io";
import { createAdapter } from "@socket.io/redis-adapter";

const MAX_TEXT = 500;
const validName = (n) => typeof n === "string" && /^[A-Za-z0-9_-]{1,32}$/.test(n);

const redis = createClient({ url: `redis://127.0.0.1:${process.env.REDIS_PORT}` });
const pub = redis.duplicate();
const sub = redis.duplicate();
await Promise.all([redis.connect(), pub.connect(), sub.connect()]);

const sessions = session({
    store: new RedisStore({ client: redis }),
    secret: process.env.SECRET,
    name: process.env.COOKIE_NAME,
    resave: false,
    saveUninitialized: false,
    cookie: { maxAge: 24 * 3600 * 1000, sameSite: "lax", httpOnly: true },
});

const app = express();
const server = createServer(app);
const io = new Server(server, { adapter: createAdapter(pub, sub) });

app.use(express.json());
app.use(sessions);
const bad = (res, error) => res.status(400).json({ error });

app.post("/login", (req, res, next) => {
    const name = req.body?.name;
    if (!validName(name)) return bad(res, "name must be 1-32 letters, digits, '-' or '_'");
    if (req.session.name) io.in(`session:${req.session.id}`).disconnectSockets(true);
    req.session.regenerate((err) => {
        if (err) return next(err);
        req.session.name = name;
        res.json({ name });
    });
});

app.post("/logout", (req, res, next) => {
    io.in(`session:${req.session.id}`).disconnectSockets(true);
    req.session.destroy((err) => {
        if (err) return next(err);
        res.clearCookie(process.env.COOKIE_NAME);
        res.status(204).end();
    });
});

app.get("/me", (req, res) => {
    if (!req.session.name) return res.status(401).json({ error: "not logged in" });
    res.json({ name: req.session.name });
});

app.post("/notify/:name", async (req, res) => {
    const { name } = req.params;
    const text = req.body?.text;
    if (!validName(name)) return bad(res, "invalid user name");
    if (typeof text !== "string" || !text || text.length > MAX_TEXT) return bad(res, "text must be 1-500 characters");
    const sockets = await io.in(`user:${name}`).fetchSockets(); // every node's
    io.to(`user:${name}`).emit("notice", { text });
    res.json({ delivered: sockets.length });
});

// The session is read at the Engine.IO handshake (socket.io's documented recipe).
io.engine.use((req, res, next) => (req._query.sid === undefined ? sessions(req, res, next) : next()));
io.use((socket, next) => {
    const name = socket.request.session?.name;
    if (!name) return next(new Error("unauthorized"));
    socket.data.name = name;
    next();
});
io.on("connection", (socket) => {
    socket.join(`user:${socket.data.name}`);
    socket.join(`session:${socket.request.sessionID}`);
    socket.on("join", (room, ack) => {
        if (!validName(room)) return ack({ error: "invalid room name" });
        socket.join(`room:${room}`);
        ack(true);
    });
    socket.on("chat", (m, ack) => {
        if (!socket.rooms.has(`room:${m?.room}`)) return ack({ error: "unknown room: join it first" });
        if (typeof m.text !== "string" || !m.text || m.text.length > MAX_TEXT) return ack({ error: "text must be 1-500 characters" });
        io.to(`room:${m.room}`).emit("chat", { from: socket.data.name, room: m.room, text: m.text });
        ack(true);
    });
});

server.listen(Number(process.env.PORT ?? 0), "127.0.0.1", () => console.log(`listening ${server.address().port}`));
process.on("SIGTERM", async () => {
    io.close();
    await Promise.allSettled([redis.quit(), pub.quit(), sub.quit()]);
    process.exit(0);
});
