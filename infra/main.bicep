// ControlPlane on Azure: `azd up` deploys this at subscription scope. It creates one resource
// group for the app (Flex Consumption function app, storage, Key Vault, Event Grid topic,
// monitoring, identity) and, only when gpuPools is non-empty, a second one for the GPU scale
// sets. Every permission is a role assignment to the app's managed identity; no keys.
targetScope = 'subscription'

import { gpuPoolSpec } from 'modules/gpu-pool.bicep'

@minLength(1)
@maxLength(64)
@description('azd environment name; seeds resource names and the azd-env-name tag.')
param environmentName string

// Regions that offer Flex Consumption (as listed in docs/deploy.md, with the date the list was checked):
// a region outside it fails at deployment, so it is refused here, before anything is created.
@minLength(1)
@description('Region for every resource. It must offer Flex Consumption (and, for GPU pools, the GPU size).')
@allowed([
  'australiaeast'
  'centralindia'
  'centralus'
  'eastasia'
  'eastus'
  'eastus2'
  'francecentral'
  'germanywestcentral'
  'northcentralus'
  'northeurope'
  'southcentralus'
  'southeastasia'
  'swedencentral'
  'uksouth'
  'westcentralus'
  'westeurope'
  'westus2'
])
@metadata({
  azd: {
    type: 'location'
  }
})
param location string

@description('Object id of the user running azd (AZURE_PRINCIPAL_ID). Gets data roles for local debugging; empty to skip.')
param principalId string = ''

@description('Kind of principal principalId is (a CI pipeline deploys as a ServicePrincipal).')
@allowed(['User', 'ServicePrincipal'])
param principalType string = 'User'

@secure()
@minLength(32)
@description('Bootstrap admin API key (azd env CONTROLPLANE_ADMIN_KEY). Stored in Key Vault only.')
param adminKey string

@secure()
@description('Key for pseudonymizing user ids (azd env CONTROLPLANE_USER_PSEUDONYM_KEY): at least 32 bytes, random. Stored in Key Vault only; the app reads it as ControlPlane:Privacy:UserPseudonymKey. Empty (the default): user ids are stored as apps send them. Changing it later starts new pseudonyms.')
param userPseudonymKey string = ''

@description('Subscriptions the shadow-AI audit may read (Reader). Defaults to the deployment subscription.')
param auditSubscriptionIds string[] = [subscription().subscriptionId]

@description('GPU pools to create. Empty (the default) creates no GPU resources at all.')
param gpuPools gpuPoolSpec[] = []

@description('Admin user name on GPU pool VMs.')
param gpuPoolAdminUsername string = 'controlplane'

@secure()
@description('Ingest keys the GPU pools\' agents post with, as a JSON object {"<pool name>": "<key>"}; a pool without one has a placeholder secret until it is given (see docs/gpu-agent.md).')
param gpuPoolAgentKeys string = ''

@description('SSH public key for GPU pool VMs; required when gpuPools is non-empty.')
param gpuPoolSshPublicKey string = ''

@description('Azure OpenAI endpoint for the nightly batch (existing resource with a global batch deployment). Empty: batch off.')
param azureOpenAIEndpoint string = ''

@description('Nightly batch schedule, six-field NCRONTAB in UTC. Default 02:00.')
param batchSchedule string = '0 0 2 * * *'

@description('Instances kept running for the Durable Functions group; 1 as Microsoft recommends for Durable on Flex Consumption, 0 to scale it to zero.')
@minValue(0)
@maxValue(10)
param durableAlwaysReadyInstanceCount int = 1

@description('Most function app instances Flex Consumption may run at once.')
@minValue(1)
@maxValue(1000)
param maximumInstanceCount int = 40

var abbrs = loadJsonContent('abbreviations.json')
var resourceToken = toLower(uniqueString(subscription().id, environmentName, location))
var tags = { 'azd-env-name': environmentName }
var hasGpuPools = !empty(gpuPools)

// Names are computed here, not read back from module outputs, so What-If can predict every
// resource id before anything is deployed.
var functionAppName = '${abbrs.webSitesFunctions}api-${resourceToken}'
var storageAccountName = '${abbrs.storageStorageAccounts}${resourceToken}'
var applicationInsightsName = '${abbrs.insightsComponents}${resourceToken}'
var keyVaultName = '${abbrs.keyVaultVaults}${resourceToken}'
var eventGridTopicName = '${abbrs.eventGridDomainsTopics}${resourceToken}'
var deploymentContainerName = 'app-package-${take(functionAppName, 32)}-${take(toLower(uniqueString(functionAppName, resourceToken)), 7)}'
var gpuResourceGroupName = '${abbrs.resourcesResourceGroups}${environmentName}-gpu'

resource rg 'Microsoft.Resources/resourceGroups@2024-03-01' = {
  name: '${abbrs.resourcesResourceGroups}${environmentName}'
  location: location
  tags: tags
}

module identity 'modules/identity.bicep' = {
  name: 'identity'
  scope: rg
  params: {
    name: '${abbrs.managedIdentityUserAssignedIdentities}api-${resourceToken}'
    location: location
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  scope: rg
  params: {
    logAnalyticsName: '${abbrs.operationalInsightsWorkspaces}${resourceToken}'
    applicationInsightsName: applicationInsightsName
    location: location
    tags: tags
  }
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  scope: rg
  params: {
    name: storageAccountName
    location: location
    tags: tags
    deploymentContainerName: deploymentContainerName
  }
}

module keyVault 'modules/key-vault.bicep' = {
  name: 'keyVault'
  scope: rg
  params: {
    name: keyVaultName
    location: location
    tags: tags
    adminKey: adminKey
    userPseudonymKey: userPseudonymKey
  }
}

module eventGrid 'modules/event-grid.bicep' = {
  name: 'eventGrid'
  scope: rg
  params: {
    name: eventGridTopicName
    location: location
    tags: tags
  }
}

module roleAssignments 'modules/role-assignments.bicep' = {
  name: 'roleAssignments'
  scope: rg
  params: {
    // A managed identity's principal id exists only once the identity does; role assignment
    // names must contain it, so What-If cannot predict them. Accepted.
    #disable-next-line what-if-short-circuiting
    appPrincipalId: identity.outputs.principalId
    userPrincipalId: principalId
    userPrincipalType: principalType
    storageAccountName: storageAccountName
    applicationInsightsName: applicationInsightsName
    keyVaultName: keyVaultName
    eventGridTopicName: eventGridTopicName
  }
  dependsOn: [
    storage
    monitoring
    keyVault
    eventGrid
  ]
}

module api 'modules/function-app.bicep' = {
  name: 'api'
  scope: rg
  params: {
    name: functionAppName
    planName: '${abbrs.webServerFarms}${resourceToken}'
    location: location
    tags: tags
    serviceName: 'api'
    identityId: identity.outputs.id
    identityClientId: identity.outputs.clientId
    storageAccountName: storageAccountName
    deploymentContainerName: deploymentContainerName
    applicationInsightsConnectionString: monitoring.outputs.applicationInsightsConnectionString
    adminKeySecretUri: keyVault.outputs.adminKeySecretUri
    userPseudonymKeySecretUri: keyVault.outputs.userPseudonymKeySecretUri
    eventGridTopicEndpoint: eventGrid.outputs.endpoint
    gpuPoolsResourceGroup: hasGpuPools ? gpuResourceGroupName : ''
    gpuPoolsSubscriptionId: subscription().subscriptionId
    auditSubscriptionIds: auditSubscriptionIds
    maximumInstanceCount: maximumInstanceCount
    durableAlwaysReadyInstanceCount: durableAlwaysReadyInstanceCount
    azureOpenAIEndpoint: azureOpenAIEndpoint
    batchSchedule: batchSchedule
  }
  // storage is passed by name, so the order is stated here. The roles come first because the
  // host reads storage and the admin-key reference as the identity at its first start;
  // granting them later would mean a first start full of 403s.
  dependsOn: [
    storage
    roleAssignments
  ]
}

module auditReaders 'modules/subscription-reader.bicep' = [
  for (subscriptionId, i) in auditSubscriptionIds: {
    name: 'audit-reader-${i}-${resourceToken}'
    scope: subscription(subscriptionId)
    params: {
      #disable-next-line what-if-short-circuiting
      principalId: identity.outputs.principalId
    }
  }
]

// ---- GPU pools: nothing below is deployed while gpuPools is empty. ----

resource gpuRg 'Microsoft.Resources/resourceGroups@2024-03-01' = if (hasGpuPools) {
  name: gpuResourceGroupName
  location: location
  tags: tags
}

module gpuNetwork 'modules/gpu-network.bicep' = if (hasGpuPools) {
  name: 'gpuNetwork'
  scope: gpuRg
  params: {
    vnetName: '${abbrs.networkVirtualNetworks}gpu-${resourceToken}'
    nsgName: '${abbrs.networkNetworkSecurityGroups}gpu-${resourceToken}'
    location: location
    tags: tags
  }
}

module gpuPoolsAccess 'modules/gpu-pools-access.bicep' = if (hasGpuPools) {
  name: 'gpuPoolsAccess'
  scope: gpuRg
  params: {
    #disable-next-line what-if-short-circuiting
    principalId: identity.outputs.principalId
  }
}

module pools 'modules/gpu-pool.bicep' = [
  for pool in gpuPools: {
    name: 'gpu-pool-${pool.name}'
    scope: gpuRg
    params: {
      name: '${abbrs.computeVirtualMachineScaleSets}${pool.name}-${resourceToken}'
      poolName: pool.name
      location: location
      tags: tags
      team: pool.team
      costCenter: pool.costCenter
      vmSku: pool.?sku
      minCapacity: pool.minCapacity
      maxCapacity: pool.maxCapacity
      spot: pool.?spot ?? false
      adminUsername: gpuPoolAdminUsername
      sshPublicKey: gpuPoolSshPublicKey
      subnetId: gpuNetwork!.outputs.subnetId
      controlPlaneUrl: api.outputs.uri
      keyVaultName: keyVaultName
      keyVaultResourceGroupName: rg.name
      keyVaultUri: keyVault.outputs.endpoint
      agentApiKey: (empty(gpuPoolAgentKeys) ? {} : json(gpuPoolAgentKeys))[?pool.name] ?? ''
      queueMetricsUrl: pool.?queueMetricsUrl ?? ''
      queueMetric: pool.?queueMetric ?? ''
    }
  }
]

output AZURE_LOCATION string = location
output AZURE_TENANT_ID string = tenant().tenantId
output AZURE_SUBSCRIPTION_ID string = subscription().subscriptionId
output AZURE_RESOURCE_GROUP string = rg.name
output AZURE_FUNCTION_APP_NAME string = api.outputs.name
output SERVICE_API_NAME string = api.outputs.name
output SERVICE_API_URI string = api.outputs.uri
output AZURE_STORAGE_ACCOUNT_NAME string = storage.outputs.name
output AZURE_EVENTGRID_TOPIC_ENDPOINT string = eventGrid.outputs.endpoint
output AZURE_KEY_VAULT_NAME string = keyVaultName
output AZURE_KEY_VAULT_ENDPOINT string = keyVault.outputs.endpoint
output AZURE_MANAGED_IDENTITY_CLIENT_ID string = identity.outputs.clientId
output AZURE_MANAGED_IDENTITY_PRINCIPAL_ID string = identity.outputs.principalId
output APPLICATIONINSIGHTS_CONNECTION_STRING string = monitoring.outputs.applicationInsightsConnectionString
output AZURE_GPU_POOLS_RESOURCE_GROUP string = hasGpuPools ? gpuResourceGroupName : ''
output AZURE_GPU_POOL_NAMES string[] = [for (pool, i) in gpuPools: pools[i].outputs.name]
