// The GPU agent's ingest key in Key Vault, and the one role that lets a pool's scale set read it: Key Vault
// Secrets User on this secret alone (not the vault), so the instances cannot read the admin key beside it.
// Deployed to the vault's resource group by gpu-pool.bicep.

@description('Name of the existing vault.')
param keyVaultName string

@description('Secret holding the ingest key the pool\'s agents post with.')
param secretName string

@secure()
@description('An ingest key for the pool\'s team (POST /api/keys, role ingest); empty until one is issued.')
param agentApiKey string

@description('Principal id of the scale set\'s system-assigned identity.')
param principalId string

// Key Vault Secrets User: read secret values (get), nothing else.
var keyVaultSecretsUser = '4633458b-17de-408a-b874-0445c86b69e6'

resource vault 'Microsoft.KeyVault/vaults@2023-07-01' existing = {
  name: keyVaultName
}

resource agentKey 'Microsoft.KeyVault/vaults/secrets@2023-07-01' = {
  parent: vault
  name: secretName
  properties: {
    // A placeholder until the key is issued: the agents log that they wait for it.
    value: empty(agentApiKey) ? 'unset' : agentApiKey
    contentType: 'text/plain'
  }
}

// Key Vault Secrets User — the pool's scale-set identity, on this one secret.
resource readAgentKey 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(agentKey.id, principalId, keyVaultSecretsUser)
  scope: agentKey
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsUser)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
