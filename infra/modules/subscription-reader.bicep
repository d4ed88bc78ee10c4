// Reader on one subscription, for the shadow-AI audit: it lists AI resources and their tags.
// Deployed once per entry of main.bicep's auditSubscriptionIds.
targetScope = 'subscription'

@description('Principal id of the function app\'s user-assigned identity.')
param principalId string

// Reader: read-only view of every resource in the subscription; no data-plane access.
var reader = 'acdd72a7-3385-48ef-bd42-f606fba81ae7'

resource readerAssignment 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(subscription().id, principalId, reader)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', reader)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
