// Lets the app resize GPU scale sets, and nothing else: the role is scoped to the pools'
// own resource group, not the subscription or the app's resource group.

@description('Principal id of the function app\'s user-assigned identity.')
param principalId string

// Virtual Machine Contributor: read and update the scale sets (sku.capacity) in this group.
var virtualMachineContributor = '9980e02c-c2be-4d73-94e8-173b1dc7cf3c'

resource vmContributor 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(resourceGroup().id, principalId, virtualMachineContributor)
  properties: {
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', virtualMachineContributor)
    principalId: principalId
    principalType: 'ServicePrincipal'
  }
}
