# flowcast policy (schemaVersion 1); topology sha256:b72f40244119e65541281d753abbe969e623b1eea1f9f56420fbc90ea3162356
# One section per router ("# on NAME"): run each section on that router only (flowcast export --to iproute --router NAME writes one router's).
# on agg-1
ip route replace 10.20.0.0/24 nexthop via 10.255.0.20 weight 1  # d-cell-1, d-cell-2, d-cell-3 (one route per prefix on a router: the split of their traffic through it)
# on agg-2
ip route replace 10.20.0.0/24 nexthop via 10.255.0.20 weight 1  # d-cell-3, d-cell-4, d-cell-5, d-cell-6 (one route per prefix on a router: the split of their traffic through it)
# on site-1
ip route replace 10.20.0.0/24 nexthop via 10.255.0.11 weight 1  # d-cell-1, d-cell-2 (one route per prefix on a router: the split of their traffic through it)
# on site-2
ip route replace 10.20.0.0/24 nexthop via 10.255.0.1 weight 63 nexthop via 10.255.0.11 weight 163  # d-cell-2, d-cell-3 (one route per prefix on a router: the split of their traffic through it)
# on site-3
ip route replace 10.20.0.0/24 nexthop via 10.255.0.2 weight 13 nexthop via 10.255.0.4 weight 225  # d-cell-3
# on site-4
ip route replace 10.20.0.0/24 nexthop via 10.255.0.12 weight 1  # d-cell-3, d-cell-4 (one route per prefix on a router: the split of their traffic through it)
# on site-5
ip route replace 10.20.0.0/24 nexthop via 10.255.0.12 weight 1  # d-cell-5, d-cell-6 (one route per prefix on a router: the split of their traffic through it)
# on site-6
ip route replace 10.20.0.0/24 nexthop via 10.255.0.5 weight 1  # d-cell-6
