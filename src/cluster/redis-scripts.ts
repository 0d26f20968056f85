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
 * Replies: lease scripts return `{granted (1|0), token|false, owner|false, ttlMs}`; a grant by
 * ACQUIRE or HANDOVER adds a fifth element, 1 when the script minted a new token (INCR), 0 when
 * ACQUIRE extended a lease the caller already owned.
 */

/** KEYS: lease, fence, leases-set. ARGV: instanceId, ttlMs, worldId, minToken (a new token is above it). */
export const ACQUIRE = `
local cur = redis.call('GET', KEYS[1])
if cur then
  local sep = string.find(cur, ':', 1, true)
  local tok = string.sub(cur, 1, sep - 1)
  local owner = string.sub(cur, sep + 1)
  if owner == ARGV[1] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return {1, tok, owner, tonumber(ARGV[2]), 0}
  end
  return {0, tok, owner, redis.call('PTTL', KEYS[1])}
end
local floor = tonumber(ARGV[4]) or 0
if (tonumber(redis.call('GET', KEYS[2])) or 0) < floor then redis.call('SET', KEYS[2], floor) end
local tok = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], tok .. ':' .. ARGV[1], 'PX', ARGV[2])
redis.call('SADD', KEYS[3], ARGV[3])
return {1, tostring(tok), ARGV[1], tonumber(ARGV[2]), 1}
`;

/**
 * Prologue of the scripts only a lease's owner may run (renew, handover): reads the lease at
 * KEYS[1] and returns the refusal reply when there is none or ARGV[1] does not own it; after it,
 * `tok` and `owner` hold the lease's token and owner.
 */
const OWNED_LEASE = `
local cur = redis.call('GET', KEYS[1])
if not cur then return {0, false, false, 0} end
local sep = string.find(cur, ':', 1, true)
local tok = string.sub(cur, 1, sep - 1)
local owner = string.sub(cur, sep + 1)
if owner ~= ARGV[1] then return {0, tok, owner, redis.call('PTTL', KEYS[1])} end`;

/** KEYS: lease. ARGV: instanceId, ttlMs. */
export const RENEW = `${OWNED_LEASE}
redis.call('PEXPIRE', KEYS[1], ARGV[2])
return {1, tok, owner, tonumber(ARGV[2])}
`;

/** KEYS: lease, leases-set. ARGV: instanceId, worldId. Returns 1 if released. */
export const RELEASE = `
local cur = redis.call('GET', KEYS[1])
if not cur then return 0 end
local sep = string.find(cur, ':', 1, true)
if string.sub(cur, sep + 1) ~= ARGV[1] then return 0 end
redis.call('DEL', KEYS[1])
redis.call('SREM', KEYS[2], ARGV[2])
return 1
`;

/** KEYS: lease, fence. ARGV: fromInstanceId, toInstanceId, ttlMs. */
export const HANDOVER = `${OWNED_LEASE}
local nt = redis.call('INCR', KEYS[2])
redis.call('SET', KEYS[1], nt .. ':' .. ARGV[2], 'PX', ARGV[3])
return {1, tostring(nt), ARGV[2], tonumber(ARGV[3]), 1}
`;

/** KEYS: lease. Returns {token, owner, pttl} or false. */
export const OWNER = `
local cur = redis.call('GET', KEYS[1])
if not cur then return false end
local sep = string.find(cur, ':', 1, true)
return {string.sub(cur, 1, sep - 1), string.sub(cur, sep + 1), redis.call('PTTL', KEYS[1])}
`;

/** KEYS: leases-set. ARGV: prefix. Returns flat {world, token, owner, pttl, ...}; drops dead members. */
export const LIST_LEASES = `
local out = {}
for _, w in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. 'lease:' .. w
  local cur = redis.call('GET', key)
  if cur then
    local sep = string.find(cur, ':', 1, true)
    table.insert(out, w)
    table.insert(out, string.sub(cur, 1, sep - 1))
    table.insert(out, string.sub(cur, sep + 1))
    table.insert(out, redis.call('PTTL', key))
  else
    redis.call('SREM', KEYS[1], w)
  end
end
return out
`;

/** KEYS: inst, insts-set. ARGV: id, ttlMs, then field/value pairs. */
export const REGISTER = `
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], unpack(ARGV, 3))
redis.call('PEXPIRE', KEYS[1], ARGV[2])
redis.call('SADD', KEYS[2], ARGV[1])
return 1
`;

/** KEYS: inst. ARGV: sessions, stepCostMs, cpu, heartbeatAt[, draining 0/1]. Returns 1, or 0 if expired. */
export const HEARTBEAT = `
local ttl = redis.call('HGET', KEYS[1], 'ttlMs')
if not ttl then return 0 end
redis.call('HSET', KEYS[1], 'sessions', ARGV[1], 'stepCostMs', ARGV[2], 'cpu', ARGV[3], 'heartbeatAt', ARGV[4])
if ARGV[5] then redis.call('HSET', KEYS[1], 'draining', ARGV[5]) end
redis.call('PEXPIRE', KEYS[1], ttl)
return 1
`;

/** KEYS: insts-set. ARGV: prefix. Returns {id, pttl, {field, value, ...}} triples; drops dead members. */
export const LIST_INSTANCES = `
local out = {}
for _, id in ipairs(redis.call('SMEMBERS', KEYS[1])) do
  local key = ARGV[1] .. 'inst:' .. id
  local h = redis.call('HGETALL', key)
  if #h > 0 then
    table.insert(out, id)
    table.insert(out, redis.call('PTTL', key))
    table.insert(out, h)
  else
    redis.call('SREM', KEYS[1], id)
  end
end
return out
`;
