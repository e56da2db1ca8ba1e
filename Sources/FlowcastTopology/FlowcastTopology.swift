// FlowcastTopology: see ../shared/DESIGN.md for this module's job. Replaced as the module is built.
package enum FlowcastTopologyModule {}
