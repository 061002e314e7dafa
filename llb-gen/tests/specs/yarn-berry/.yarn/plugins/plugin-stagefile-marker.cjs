// A tiny local Yarn plugin (written for this fixture): after every install it writes
// plugin.txt in the project, which the build bundles, so the image shows it ran.
module.exports = {
  name: "plugin-stagefile-marker",
  factory: () => ({
    hooks: {
      afterAllInstalled(project) {
        require("fs").writeFileSync(`${project.cwd}/plugin.txt`, "plugin ran\n");
      },
    },
  }),
};
