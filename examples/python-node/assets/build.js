// Concatenates the stylesheets into static_final/site.css (a stand-in for a real CSS build).
const fs = require("fs");
fs.mkdirSync("static_final", { recursive: true });
const css = fs.readdirSync("css").sort().map((f) => fs.readFileSync(`css/${f}`, "utf8")).join("\n");
fs.writeFileSync("static_final/site.css", `/* built */\n${css}`);
