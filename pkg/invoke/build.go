package invoke

// FunctionPackage is the function's main package, relative to the root.
const FunctionPackage = "./functions/uploader"
