/**
 * Lua scripts of the Redis coordinator. Each runs atomically on the Redis server, so a
 * check-then-set (acquire, renew, handover) can never interleave with another client's.
 *
 * Keys (prefix `p`, default `wt:`):
 *   p lease:<world>  string "<fencingToken>:<instanceId>", PX = lease TTL
 *   p fence:<world>  integer, INCR per grant; never expires (tokens never repeat)
 *   p leases         set of world ids that may have a lease (cleaned lazily)
 *   p inst:<id>      hash of an instance's announcement, PX = presence TTL
 *   p insts          set of instance ids that may be alive (cleaned lazily)
 *
 * The listing scripts build key names from the prefix, so the coordinator needs one Redis
 * (optionally with replicas), not Redis Cluster.
 *
 * Replies: lease scripts return `{granted (1|0), token|false, owner|false, ttlMs, minted, damaged}`:
 * `minted` is 1 when the script minted a new token (INCR), 0 when ACQUIRE extended a lease the
 * caller already owned (or nothing was granted); `damaged` is 1 when the script met a damaged key.
 *
 * A damaged key is one no script writes: a lease that is not `<token>:<owner>` (digits, at most
 * 2^53 - 1, then a non-empty owner), not a string at all, or another's lease with no expiry; a fence counter
 * that is not such an integer; an instance record that is no hash or has no expiry; an index set of
 * another type. A hand edit or a tool writing into the wrong prefix makes one. Every script reads a
 * damaged lease as no lease (ACQUIRE replaces it, with a new token), a damaged fence counter as lost
 * (reset to the caller's floor, as after Redis data loss, then INCR), a damaged instance record as
 * none (HEARTBEAT answers expired: the caller registers again), and a listing rebuilds a damaged index
 * set, so one damaged key neither fails a listing of every world or instance nor keeps its world
 * unowned for good (docs/CLUSTER.md "A damaged key in Redis").
 */

/**
 * Prologue of the scripts that read a stored integer (a token, a TTL): `safeInt(v)` is `v` as a number
 * when it is a string of digits up to 2^53 - 1 (what the JS side reads exactly), else nil.
 */
const SAFE_INT = `
local function safeInt(v)
  if type(v) ~= 'string' or #v > 16 or not string.match(v, '^%d+$') then return nil end
  local n = tonumber(v)
  if n > 9007199254740991 then return nil end
  return n
end`;

/**
 * Prologue of every lease script: `leaseOf(key)` returns the token and owner of the lease at `key`;
 * nothing when there is none; `nil, nil, true` when the key is damaged (see above).
 */
const LEASE_OF = `${SAFE_INT}
local function leaseOf(key)
  local cur = redis.pcall('GET', key)
  if cur == false then return nil end
  if type(cur) == 'string' then
    local tok, owner = string.match(cur, '^(%d+):(.+)$')
    if tok and safeInt(tok) then return tok, owner end
  end
  return nil, nil, true
end`;

/**
 * Prologue of the listings: `members(set, prefix, kind)` returns the members of the index set `set`
 * and whether it was damaged (a key of another type): then it is rebuilt from the keys
 * `<prefix><kind>:*` it indexes (SCAN), so one damaged index does not fail every listing for good.
 * The writers add to an index with `index(set, member)`, which leaves a damaged one to that rebuild.
 */
const INDEX = `
local function members(set, prefix, kind)
  local m = redis.pcall('SMEMBERS', set)
  if type(m) == 'table' and m.err == nil then return m, false end
  redis.call('DEL', set)
  local head = prefix .. kind .. ':'
  local pattern = string.gsub(head, '([%*%?%[%]\\\\])', '\\\\%1') .. '*'
  local cursor = '0'
  repeat
    local r = redis.call('SCAN', cursor, 'MATCH', pattern, 'COUNT', 1000)
    cursor = r[1]
    for _, k in ipairs(r[2]) do redis.call('SADD', set, string.sub(k, #head + 1)) end
  until cursor == '0'
  return redis.call('SMEMBERS', set), true
end
local function index(set, member)
  redis.pcall('SADD', set, member)
end`;

/**
 * Prologue of the scripts that mint a token (acquire, handover): `mint(key, floor)` INCRs the fence
 * counter at `key` after raising it to `floor`, and returns the new token (as digits: Lua's own number
 * text is `%.14g`, which wrote a token of 10^14 or more as `1e+14`) and whether the counter was damaged
 * (then it is read as lost: the floor is all that is known of the tokens issued).
 */
const MINT = `
local function mint(key, floor)
  local f = redis.pcall('GET', key)
  local n = safeInt(f)
  if n == nil or n < floor then redis.call('SET', key, string.format('%d', floor)) end
  return string.format('%d', redis.call('INCR', key)), f ~= false and n == nil
end`;

/** KEYS: lease, fence, leases-set. ARGV: instanceId, ttlMs, worldId, minToken (a new token is above it). */
export const ACQUIRE = `${LEASE_OF}${MINT}${INDEX}
local tok, owner, damaged = leaseOf(KEYS[1])
local floor = tonumber(ARGV[4]) or 0
if tok then
  if owner == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, tok, owner, tonumber(ARGV[2]), 0, 0}
  end
  local pttl = redis.call('PTTL', KEYS[1])
  if pttl >= 0 then return {0, tok, owner, pttl, 0, 0} end
  damaged = true
  floor = math.max(floor, tonumber(tok))
end
local nt, fenceDamaged = mint(KEYS[2], floor)
redis.call('SET', KEYS[1], nt .. ':' .. ARGV[1], 'PX', ARGV[2])
index(KEYS[3], ARGV[3])
return {1, nt, ARGV[1], tonumber(ARGV[2]), 1, (damaged or fenceDamaged) and 1 or 0}
`;

/**
 * Prologue of the scripts only a lease's owner may run (renew, handover): reads the lease at
 * KEYS[1] and returns the refusal reply when there is none (or it is damaged) or ARGV[1] does not
 * own it; after it, `tok` and `owner` hold the lease's token and owner.
 */
const OWNED_LEASE = `${LEASE_OF}
local tok, owner, damaged = leaseOf(KEYS[1])
if not tok then return {0, false, false, 0, 0, damaged and 1 or 0} end
if owner ~= ARGV[1] then return {0, tok, owner, redis.call('PTTL', KEYS[1]), 0, 0} end`;

/** KEYS: lease. ARGV: instanceId, ttlMs. */
export const RENEW = `${OWNED_LEASE}
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, tok, owner, tonumber(ARGV[2]), 0, 0}
`;

/** KEYS: lease, leases-set. ARGV: instanceId, worldId. Returns 1 if released (a damaged lease is nobody's: 0). */
export const RELEASE = `${LEASE_OF}
local tok, owner = leaseOf(KEYS[1])
if not tok or owner ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.pcall('SREM', KEYS[2], ARGV[2])
return 1
`;

/**
 * KEYS: lease, fence. ARGV: fromInstanceId, toInstanceId, ttlMs, minToken (the new token is above it and above
 * the lease's own: a damaged counter is raised to the larger, as a lease edited by hand to a lower token is
 * believed — the caller's floor is what it knows was granted).
 */
export const HANDOVER = `${OWNED_LEASE}${MINT}
local nt, fenceDamaged = mint(KEYS[2], math.max(tonumber(tok), tonumber(ARGV[4]) or 0))
redis.call('SET', KEYS[1], nt .. ':' .. ARGV[2], 'PX', ARGV[3])
return {1, nt, ARGV[2], tonumber(ARGV[3]), 1, fenceDamaged and 1 or 0}
`;

/** KEYS: lease. Returns {token, owner, pttl}, or false when there is none (or it is damaged: no expiry too, as the listing reads it). */
export const OWNER = `${LEASE_OF}
local tok, owner = leaseOf(KEYS[1])
if not tok then return false end
local pttl = redis.call('PTTL', KEYS[1])
if pttl < 0 then return false end
return {tok, owner, pttl}
`;

/**
 * KEYS: leases-set. ARGV: prefix. Returns {damaged, world, token, owner, pttl, ...}: the count of
 * damaged leases skipped (another's without expiry too: ACQUIRE replaces those), then one 4-tuple per
 * lease; drops members whose lease is gone.
 */
export const LIST_LEASES = `${LEASE_OF}${INDEX}
local all, rebuilt = members(KEYS[1], ARGV[1], 'lease')
local out = {rebuilt and 1 or 0}
for _, w in ipairs(all) do
  local key = ARGV[1] .. 'lease:' .. w
  local tok, owner, damaged = leaseOf(key)
  local pttl = tok and redis.call('PTTL', key) or -2
  if tok and pttl >= 0 then
    table.insert(out, w)
    table.insert(out, tok)
    table.insert(out, owner)
    table.insert(out, pttl)
  elseif damaged or tok then
    out[1] = out[1] + 1
  else
    redis.call('SREM', KEYS[1], w)
  end
end
return out
`;

/** KEYS: inst, insts-set. ARGV: id, ttlMs, then field/value pairs. */
export const REGISTER = `${INDEX}
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
index(KEYS[2], ARGV[1])
return 1
`;

/**
 * KEYS: inst. ARGV: sessions, stepCostMs, cpu, heartbeatAt[, draining 0/1]. Returns 1, or 0 if expired
 * (or damaged: a key of another type or a `ttlMs` that is no integer; the caller registers again, which
 * rewrites the record).
 */
export const HEARTBEAT = `${SAFE_INT}
local ttl = redis.pcall('HGET', KEYS[1], 'ttlMs')
if not safeInt(ttl) then return 0 end
redis.call('HSET', KEYS[1], 'sessions', ARGV[1], 'stepCostMs', ARGV[2], 'cpu', ARGV[3], 'heartbeatAt', ARGV[4])
if ARGV[5] then redis.call('HSET', KEYS[1], 'draining', ARGV[5]) end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`;

/**
 * KEYS: insts-set. ARGV: prefix. Returns {damaged, id, pttl, {field, value, ...}, ...}: the count of
 * damaged records skipped (a key of another type, or a hash with no expiry: REGISTER and HEARTBEAT
 * always set one), then one triple per instance; drops members whose record is gone.
 */
export const LIST_INSTANCES = `${INDEX}
local all, rebuilt = members(KEYS[1], ARGV[1], 'inst')
local out = {rebuilt and 1 or 0}
for _, id in ipairs(all) do
  local key = ARGV[1] .. 'inst:' .. id
  local h = redis.pcall('HGETALL', key)
  local pttl = redis.call('PTTL', key)
  if type(h) == 'table' and h.err == nil and #h > 0 and pttl >= 0 then
    table.insert(out, id)
    table.insert(out, pttl)
    table.insert(out, h)
  elseif pttl == -2 then
    redis.call('SREM', KEYS[1], id)
  else
    out[1] = out[1] + 1
  end
end
return out
`;
