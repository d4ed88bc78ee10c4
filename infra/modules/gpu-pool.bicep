// One GPU pool: a Uniform VM scale set whose capacity ControlPlane's Capacity policy
// recommends or sets (Virtual Machine Contributor on this resource group). Starts at the
// pool's minimum; Spot pools are for deferrable batch work and may be evicted at any time.

@export()
@description('A GPU pool requested in main.bicep\'s gpuPools parameter.')
type gpuPoolSpec = {
  @description('Short pool name, unique in the environment; used in resource names and the controlplane-pool tag.')
  @minLength(1)
  @maxLength(20)
  name: string

  @description('Team the pool is charged to (tag `team`).')
  team: string

  @description('Cost center for chargeback (tag `cost_center`).')
  costCenter: string

  @description('VM size; defaults to Standard_NC4as_T4_v3 (1x T4, 4 vCPU).')
  sku: string?

  @description('Instances the pool starts with and never goes below.')
  @minValue(0)
  minCapacity: int

  @description('Instances the Capacity policy may scale up to.')
  @minValue(1)
  maxCapacity: int

  @description('Run on Spot VMs (evictable, much cheaper) for batch pools.')
  spot: bool?
}

@description('Name of the scale set.')
@maxLength(64)
param name string

@description('Pool name written to the controlplane-pool tag.')
param poolName string

@description('Azure region.')
param location string

@description('Tags shared by the environment; pool tags are added to them.')
param tags object

@description('Team tag.')
param team string

@description('Cost center tag.')
param costCenter string

@description('GPU VM size. Passing null (a pool spec without `sku`) also selects this default.')
param vmSku string = 'Standard_NC4as_T4_v3'

@description('Initial (and minimum) instance count.')
@minValue(0)
param minCapacity int

@description('Maximum instance count the Capacity policy may set.')
@minValue(1)
param maxCapacity int

@description('Use Spot priority with Delete eviction and pay-up-to-on-demand pricing.')
param spot bool = false

@description('Admin user name on the VMs.')
param adminUsername string

@description('SSH public key for adminUsername. Password login is disabled.')
@minLength(1)
param sshPublicKey string

@description('Subnet the instances join.')
param subnetId string

var poolTags = union(tags, {
  'controlplane-pool': poolName
  team: team
  cost_center: costCenter
  // The Capacity policy reads its bounds from the scale set itself.
  'controlplane-min-capacity': string(minCapacity)
  'controlplane-max-capacity': string(maxCapacity)
})

resource scaleSet 'Microsoft.Compute/virtualMachineScaleSets@2024-07-01' = {
  name: name
  location: location
  tags: poolTags
  sku: {
    name: vmSku
    tier: 'Standard'
    capacity: minCapacity
  }
  properties: {
    orchestrationMode: 'Uniform'
    // Overprovisioning would briefly run (and bill) extra GPU VMs on every scale-out.
    overprovision: false
    singlePlacementGroup: false
    upgradePolicy: {
      mode: 'Manual'
    }
    virtualMachineProfile: {
      priority: spot ? 'Spot' : 'Regular'
      evictionPolicy: spot ? 'Delete' : null
      // -1: pay up to the on-demand price, so Spot instances are evicted for capacity, never price.
      billingProfile: spot ? { maxPrice: -1 } : null
      osProfile: {
        computerNamePrefix: take(poolName, 15)
        adminUsername: adminUsername
        linuxConfiguration: {
          disablePasswordAuthentication: true
          provisionVMAgent: true
          ssh: {
            publicKeys: [
              {
                path: '/home/${adminUsername}/.ssh/authorized_keys'
                keyData: sshPublicKey
              }
            ]
          }
        }
      }
      storageProfile: {
        imageReference: {
          publisher: 'Canonical'
          offer: '0001-com-ubuntu-server-jammy'
          sku: '22_04-lts-gen2'
          version: 'latest'
        }
        osDisk: {
          createOption: 'FromImage'
          caching: 'ReadWrite'
          diskSizeGB: 128
          managedDisk: {
            storageAccountType: 'Premium_LRS'
          }
        }
      }
      networkProfile: {
        networkInterfaceConfigurations: [
          {
            name: 'nic'
            properties: {
              primary: true
              ipConfigurations: [
                {
                  name: 'ipconfig'
                  properties: {
                    subnet: {
                      id: subnetId
                    }
                  }
                }
              ]
            }
          }
        ]
      }
      // Secure Boot is left off (no securityProfile): the NVIDIA driver extension installs
      // unsigned kernel modules, which Secure Boot would refuse to load.
      extensionProfile: {
        extensions: [
          {
            name: 'NvidiaGpuDriverLinux'
            properties: {
              publisher: 'Microsoft.HpcCompute'
              type: 'NvidiaGpuDriverLinux'
              typeHandlerVersion: '1.6'
              autoUpgradeMinorVersion: true
              settings: {}
            }
          }
        ]
      }
    }
  }
}

output name string = scaleSet.name
