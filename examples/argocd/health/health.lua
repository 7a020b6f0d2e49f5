-- Argo CD health check for sentiment.analytics.dev/SentimentPlatform (argocd-cm:
-- resource.customizations.health.sentiment.analytics.dev_SentimentPlatform, generated from this file).
-- The operator's status (operator/src/reconcile/status.ts) carries observedGeneration and the conditions
-- Ready, Progressing, Degraded and, while spec.paused is true, Paused; a status written for an older
-- generation says nothing about the current spec, so it reads as Progressing until the operator catches up.
local hs = {}

local function condition(conditions, type)
  if conditions == nil then
    return nil
  end
  for _, c in ipairs(conditions) do
    if c.type == type then
      return c
    end
  end
  return nil
end

if obj.metadata ~= nil and obj.metadata.deletionTimestamp ~= nil then
  hs.status = "Progressing"
  hs.message = "deleting: the operator is releasing the tenant's data services and workloads"
  return hs
end

if obj.status == nil then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to report status"
  return hs
end

local generation = obj.metadata and obj.metadata.generation
local observed = obj.status.observedGeneration
if generation ~= nil and (observed == nil or observed < generation) then
  hs.status = "Progressing"
  hs.message = "waiting for the operator to observe generation " .. tostring(generation)
  return hs
end

local conditions = obj.status.conditions
local degraded = condition(conditions, "Degraded")
if degraded ~= nil and degraded.status == "True" then
  hs.status = "Degraded"
  hs.message = (degraded.reason or "Degraded") .. ": " .. (degraded.message or "")
  return hs
end

-- Suspended, as Argo CD shows a suspended CronJob: on purpose, not broken and not on its way anywhere.
local paused = condition(conditions, "Paused")
if paused ~= nil and paused.status == "True" then
  hs.status = "Suspended"
  hs.message = "paused: " .. (paused.message or "spec.paused is true")
  return hs
end

local ready = condition(conditions, "Ready")
if obj.status.phase == "Hibernated" then
  hs.status = "Suspended"
  hs.message = "hibernated: " .. ((ready and ready.message) or "every workload is at zero replicas")
  return hs
end

if ready ~= nil and ready.status == "True" then
  hs.status = "Healthy"
  hs.message = ready.message or "all components are ready"
  return hs
end

hs.status = "Progressing"
local progressing = condition(conditions, "Progressing")
if progressing ~= nil and progressing.message ~= nil then
  hs.message = progressing.message
elseif ready ~= nil and ready.message ~= nil then
  hs.message = ready.message
else
  hs.message = "phase " .. tostring(obj.status.phase or "Pending")
end
return hs
