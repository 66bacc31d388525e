package redis

import goredis "github.com/redis/go-redis/v9"

// Lua scripts. Redis runs each one atomically, which is what makes
// uniqueness, index upkeep and cascades all-or-nothing here.
//
// Cluster: every key a durable-state script touches starts with
// keys.base and so carries the {state} hash tag; KEYS[1] routes the call
// to that slot, and keys built inside a script (ARGV[1] is keys.base)
// land in the same slot. Ephemeral scripts touch exactly one key.
//
// Status numbers are the st* constants in store.go.

// sCreateUser claims the id and the folded email and writes the record.
// KEYS: user, email, users. ARGV: id, folded email, record.
var sCreateUser = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 1 then return 2 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 4 end
redis.call('SET', KEYS[1], ARGV[3])
redis.call('SET', KEYS[2], ARGV[1])
redis.call('ZADD', KEYS[3], 0, ARGV[2])
return 0
`)

// sUpdateUser replaces the record if it still holds the value read and
// moves the email index when the folded email changed.
// KEYS: user, users, old email, new email.
// ARGV: id, old record, new record, old folded, new folded.
var sUpdateUser = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 1 end
if cur ~= ARGV[2] then return 3 end
if ARGV[4] ~= ARGV[5] then
  if redis.call('EXISTS', KEYS[4]) == 1 then return 4 end
  redis.call('DEL', KEYS[3])
  redis.call('ZREM', KEYS[2], ARGV[4])
  redis.call('SET', KEYS[4], ARGV[1])
  redis.call('ZADD', KEYS[2], 0, ARGV[5])
end
redis.call('SET', KEYS[1], ARGV[3])
return 0
`)

// sDeleteUser removes the user, its email index entry, and every
// session, API key, OAuth link and passkey listed in its per-user indexes.
// KEYS: user, email, users, usess, ukeys, ulinks, sessexp, keys, links,
// upkeys, passkeys.
// ARGV: base, record read, folded email, id.
var sDeleteUser = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 1 end
if cur ~= ARGV[2] then return 3 end
local b = ARGV[1]
redis.call('DEL', KEYS[1], KEYS[2])
redis.call('ZREM', KEYS[3], ARGV[3])
for _, d in ipairs(redis.call('ZRANGE', KEYS[4], 0, -1)) do
  redis.call('DEL', b .. 'sess:' .. d)
  redis.call('ZREM', KEYS[7], d .. ':' .. ARGV[4])
end
for _, k in ipairs(redis.call('ZRANGE', KEYS[5], 0, -1)) do
  redis.call('DEL', b .. 'key:' .. k)
  redis.call('ZREM', KEYS[8], k)
end
for _, l in ipairs(redis.call('ZRANGE', KEYS[6], 0, -1)) do
  redis.call('DEL', b .. 'link:' .. l)
  redis.call('ZREM', KEYS[9], l)
end
for _, c in ipairs(redis.call('ZRANGE', KEYS[10], 0, -1)) do
  redis.call('DEL', b .. 'pkey:' .. c)
  redis.call('ZREM', KEYS[11], c)
end
redis.call('DEL', KEYS[4], KEYS[5], KEYS[6], KEYS[10])
return 0
`)

// sCreateOwned writes a record owned by a user (session, API key, OAuth
// link): the user must exist, the record key must be free, and the
// record joins its per-user index and, when given, a global index.
// KEYS: user, record, per-user index, global index.
// ARGV: record, user member, user score, global member (” for none),
// global score, PXAT in unix ms (” for none).
var sCreateOwned = goredis.NewScript(`
if redis.call('EXISTS', KEYS[1]) == 0 then return 1 end
if redis.call('EXISTS', KEYS[2]) == 1 then return 2 end
if ARGV[6] == '' then
  redis.call('SET', KEYS[2], ARGV[1])
else
  redis.call('SET', KEYS[2], ARGV[1], 'PXAT', ARGV[6])
end
redis.call('ZADD', KEYS[3], ARGV[3], ARGV[2])
if ARGV[4] ~= '' then redis.call('ZADD', KEYS[4], ARGV[5], ARGV[4]) end
return 0
`)

// sDeleteOwned removes a record if it still holds the value read, and
// its index entries.
// KEYS: record, per-user index, global index.
// ARGV: record read, user member, global member.
var sDeleteOwned = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 1 end
if cur ~= ARGV[1] then return 3 end
redis.call('DEL', KEYS[1])
redis.call('ZREM', KEYS[2], ARGV[2])
redis.call('ZREM', KEYS[3], ARGV[3])
return 0
`)

// sSwap replaces a record that still holds the value read, keeping its
// time to live. KEYS: record. ARGV: record read, new record.
var sSwap = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 1 end
if cur ~= ARGV[1] then return 3 end
redis.call('SET', KEYS[1], ARGV[2], 'KEEPTTL')
return 0
`)

// sUpdateAPIKey is sSwap plus the new CreatedAt score in the per-user
// index. KEYS: key, ukeys. ARGV: record read, new record, key id, score.
var sUpdateAPIKey = goredis.NewScript(`
local cur = redis.call('GET', KEYS[1])
if not cur then return 1 end
if cur ~= ARGV[1] then return 3 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('ZADD', KEYS[2], 'XX', ARGV[4], ARGV[3])
return 0
`)

// sListOwned returns the records named by a per-user index in index
// order, dropping entries whose record Redis has expired.
// KEYS: per-user index. ARGV: base, record family.
var sListOwned = goredis.NewScript(`
local out = {}
for _, m in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  local v = redis.call('GET', ARGV[1] .. ARGV[2] .. m)
  if v then
    out[#out + 1] = v
  else
    redis.call('ZREM', KEYS[1], m)
  end
end
return out
`)

// sDeleteUserSessions removes every session of a user but one.
// KEYS: usess, sessexp. ARGV: base, user id, hex digest to keep (”).
var sDeleteUserSessions = goredis.NewScript(`
local n = 0
for _, d in ipairs(redis.call('ZRANGE', KEYS[1], 0, -1)) do
  if d ~= ARGV[3] then
    n = n + redis.call('DEL', ARGV[1] .. 'sess:' .. d)
    redis.call('ZREM', KEYS[1], d)
    redis.call('ZREM', KEYS[2], d .. ':' .. ARGV[2])
  end
end
return n
`)

// sPurgeBelow removes up to count sessions whose expiry index score is
// at most cutoff; every one of them has expired.
// KEYS: sessexp. ARGV: base, cutoff (unix ms), count.
// Returns {sessions removed, index entries visited}.
var sPurgeBelow = goredis.NewScript(`
local ms = redis.call('ZRANGE', KEYS[1], '-inf', ARGV[2], 'BYSCORE', 'LIMIT', 0, ARGV[3])
local n = 0
for _, m in ipairs(ms) do
  local i = string.find(m, ':', 1, true)
  if i then
    local d = string.sub(m, 1, i - 1)
    n = n + redis.call('DEL', ARGV[1] .. 'sess:' .. d)
    redis.call('ZREM', ARGV[1] .. 'usess:' .. string.sub(m, i + 1), d)
  end
  redis.call('ZREM', KEYS[1], m)
end
return {n, #ms}
`)

// sPage reads one page of a global index with each member's record.
// Mode 'r' starts at a rank, mode 'l' after a member (lexicographic).
// KEYS: index. ARGV: base, mode, first rank or member, count (mode
// 'l') or last rank (mode 'r'), hop ('user': member is a folded email,
// follow it to the user; else a record family).
// Returns {member, record, member, record, ...}.
var sPage = goredis.NewScript(`
local ms
local count = ARGV[4]
if ARGV[2] == 'r' then
  ms = redis.call('ZRANGE', KEYS[1], ARGV[3], ARGV[4])
elseif ARGV[3] == '' then
  ms = redis.call('ZRANGE', KEYS[1], '-', '+', 'BYLEX', 'LIMIT', 0, count)
else
  ms = redis.call('ZRANGE', KEYS[1], '(' .. ARGV[3], '+', 'BYLEX', 'LIMIT', 0, count)
end
local out = {}
for _, m in ipairs(ms) do
  local v
  if ARGV[5] == 'user' then
    local id = redis.call('GET', ARGV[1] .. 'email:' .. m)
    if id then v = redis.call('GET', ARGV[1] .. 'user:' .. id) end
  else
    v = redis.call('GET', ARGV[1] .. ARGV[5] .. m)
  end
  if not v then return redis.error_reply('ERR gatehouse index entry without record') end
  out[#out + 1] = m
  out[#out + 1] = v
end
return out
`)

// sUserByEmail follows the email index to the user record in one round
// trip. KEYS: email. ARGV: base. A nil reply means no such user.
var sUserByEmail = goredis.NewScript(`
local id = redis.call('GET', KEYS[1])
if not id then return false end
return redis.call('GET', ARGV[1] .. 'user:' .. id)
`)

// sDeny sets a denylist entry to expire at PXAT unless it already
// expires later, and publishes the id.
// KEYS: entry. ARGV: PXAT (unix ms), channel, id.
var sDeny = goredis.NewScript(`
if not redis.call('SET', KEYS[1], '1', 'PXAT', ARGV[1], 'NX') then
  redis.call('PEXPIREAT', KEYS[1], ARGV[1], 'GT')
end
redis.call('PUBLISH', ARGV[2], ARGV[3])
return 0
`)

// sIncr counts one hit and starts the window on the first one; PEXPIRE
// NX also repairs a counter that somehow lost its expiry.
// KEYS: counter. ARGV: window (ms). Returns {count, ms until reset}.
var sIncr = goredis.NewScript(`
local n = redis.call('INCR', KEYS[1])
redis.call('PEXPIRE', KEYS[1], ARGV[1], 'NX')
return {n, redis.call('PTTL', KEYS[1])}
`)
