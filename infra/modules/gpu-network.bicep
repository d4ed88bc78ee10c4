// Private network shared by every GPU pool: one VNet, one subnet, an NSG that admits nothing
// from the internet. VMs get no public IPs; reach them through Bastion or a peered network.

@description('Name of the virtual network.')
param vnetName string

@description('Name of the network security group.')
param nsgName string

@description('Azure region.')
param location string

@description('Tags applied to the network resources.')
param tags object

@description('Address space of the VNet.')
param addressPrefix string = '10.60.0.0/16'

@description('Subnet for the scale sets; /20 leaves room for ~4,000 instances.')
param subnetPrefix string = '10.60.0.0/20'

resource nsg 'Microsoft.Network/networkSecurityGroups@2024-05-01' = {
  name: nsgName
  location: location
  tags: tags
  properties: {
    // The default rules already deny inbound internet traffic and allow VNet traffic.
    securityRules: []
  }
}

resource vnet 'Microsoft.Network/virtualNetworks@2024-05-01' = {
  name: vnetName
  location: location
  tags: tags
  properties: {
    addressSpace: {
      addressPrefixes: [addressPrefix]
    }
    subnets: [
      {
        name: 'gpu-pools'
        properties: {
          addressPrefix: subnetPrefix
          networkSecurityGroup: {
            id: nsg.id
          }
          // The NVIDIA driver extension downloads drivers at install time. Newer subnets are
          // private by default; keep default outbound access explicit (or attach a NAT gateway).
          defaultOutboundAccess: true
        }
      }
    ]
  }
}

output subnetId string = vnet.properties.subnets[0].id
