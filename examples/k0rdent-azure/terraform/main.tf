# The network, security group, SSH key and VMs that bin/setup-azure-network.sh
# and bin/create-azure-vms.sh make with az, as one Terraform configuration.
# VM names are the bash project's (k0s-controller-N, k0s-worker-N): the
# WireGuard peers, cloud-init files and k0sctl hosts are keyed by them.

locals {
  cluster_id = var.cluster_id != "" ? var.cluster_id : trimspace(file("${path.module}/../.clusterid"))
  # The scripts log in with azure-resources/<cluster id>-ssh-key (their
  # SSH_PRIVATE_KEY); the VMs must accept its public half.
  ssh_public_key_file = var.ssh_public_key_file != "" ? var.ssh_public_key_file : "${path.module}/../azure-resources/${local.cluster_id}-ssh-key.pub"
  hosts = merge(
    { for i in range(var.controller_count) : "k0s-controller-${i + 1}" => {
      role = "controller", size = var.controller_vm_size, zone = var.zones[i % length(var.zones)]
    } },
    { for i in range(var.worker_count) : "k0s-worker-${i + 1}" => {
      role = "worker", size = var.worker_vm_size, zone = var.zones[i % length(var.zones)]
    } },
  )
  tags = { "k0rdent-cluster-id" = local.cluster_id, "managed-by" = "terraform" }
}

resource "azurerm_resource_group" "this" {
  name     = "${local.cluster_id}-resgrp"
  location = var.location
  tags     = local.tags
}

resource "azurerm_virtual_network" "this" {
  name                = "${local.cluster_id}-vnet"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  address_space       = [var.vnet_prefix]
  tags                = local.tags
}

resource "azurerm_subnet" "this" {
  name                 = "${local.cluster_id}-subnet"
  resource_group_name  = azurerm_resource_group.this.name
  virtual_network_name = azurerm_virtual_network.this.name
  address_prefixes     = [var.subnet_prefix]
}

resource "azurerm_network_security_group" "this" {
  name                = "${local.cluster_id}-nsg"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags

  security_rule {
    name                       = "SSH"
    priority                   = 1000
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Tcp"
    source_port_range          = "*"
    destination_port_range     = "22"
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }

  security_rule {
    name                       = "WireGuard"
    priority                   = 1001
    direction                  = "Inbound"
    access                     = "Allow"
    protocol                   = "Udp"
    source_port_range          = "*"
    destination_port_range     = var.wireguard_ports
    source_address_prefix      = "*"
    destination_address_prefix = "*"
  }
}

resource "azurerm_subnet_network_security_group_association" "this" {
  subnet_id                 = azurerm_subnet.this.id
  network_security_group_id = azurerm_network_security_group.this.id
}

resource "azurerm_ssh_public_key" "admin" {
  name                = "${local.cluster_id}-admin"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  public_key          = file(local.ssh_public_key_file)
  tags                = local.tags
}

resource "azurerm_public_ip" "vm" {
  for_each            = local.hosts
  name                = "${each.key}-pip"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  allocation_method   = "Static"
  sku                 = "Standard"
  zones               = [each.value.zone]
  tags                = local.tags
}

resource "azurerm_network_interface" "vm" {
  for_each            = local.hosts
  name                = "${each.key}-nic"
  location            = azurerm_resource_group.this.location
  resource_group_name = azurerm_resource_group.this.name
  tags                = local.tags

  ip_configuration {
    name                          = "primary"
    subnet_id                     = azurerm_subnet.this.id
    private_ip_address_allocation = "Dynamic"
    public_ip_address_id          = azurerm_public_ip.vm[each.key].id
  }
}

resource "azurerm_linux_virtual_machine" "vm" {
  for_each              = local.hosts
  name                  = each.key
  location              = azurerm_resource_group.this.location
  resource_group_name   = azurerm_resource_group.this.name
  size                  = each.value.size
  zone                  = each.value.zone
  admin_username        = var.admin_username
  network_interface_ids = [azurerm_network_interface.vm[each.key].id]
  custom_data           = filebase64("${var.cloud_init_dir}/${each.key}-cloud-init.yaml")
  tags                  = merge(local.tags, { role = each.value.role })

  admin_ssh_key {
    username   = var.admin_username
    public_key = azurerm_ssh_public_key.admin.public_key
  }

  os_disk {
    caching              = "ReadWrite"
    storage_account_type = "Premium_LRS"
  }

  source_image_reference {
    publisher = var.image.publisher
    offer     = var.image.offer
    sku       = var.image.sku
    version   = var.image.version
  }
}
