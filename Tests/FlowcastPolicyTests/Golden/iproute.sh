# flowcast policy (schemaVersion 1); topology sha256:2dc113c47b6d7ca37fbc39e8738ceeadf18c09dd99b743093653734b901cae15
# One section per router ("# on NAME"): run each section on that router only (flowcast export --to iproute --router NAME writes one router's).
# on agg-1
# 10.20.0.0/24: all to core, where the prefix is (by this router's own route; the policy has no address for core)
# on agg-2
# 10.20.0.0/24: all to core, where the prefix is (by this router's own route; the policy has no address for core)
# on site-1
ip route replace 10.20.0.0/24 nexthop via 10.255.0.11 weight 1  # d-cell-1, d-cell-2, d-cell-6 (one route per prefix on a router: the split of their traffic through it)
# on site-2
ip route replace 10.20.0.0/24 nexthop via 10.255.0.1 weight 46 nexthop via 10.255.0.11 weight 113  # d-cell-2, d-cell-3 (one route per prefix on a router: the split of their traffic through it)
# on site-3
ip route replace 10.20.0.0/24 nexthop via 10.255.0.2 weight 1 nexthop via 10.255.0.4 weight 17  # d-cell-3
# on site-4
ip route replace 10.20.0.0/24 nexthop via 10.255.0.12 weight 1  # d-cell-3, d-cell-4 (one route per prefix on a router: the split of their traffic through it)
# on site-5
ip route replace 10.20.0.0/24 nexthop via 10.255.0.12 weight 1  # d-cell-5
# on site-6
ip route replace 10.20.0.0/24 nexthop via 10.255.0.1 weight 1  # d-cell-6
